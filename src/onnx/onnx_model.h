// Writing ONNX models by hand (no protobuf library): a graph of nodes over named tensors, float weights as
// initializers, and the model's metadata_props, serialised with the field numbers of onnx/onnx.proto.
// Standard library only; rl/onnx_export.cc fills it from a policy's torch weights.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace s2r::onnx {

// TensorProto.DataType values.
enum class ElemType : int { kFloat = 1, kUint8 = 2 };

// One dimension of a graph input or output: a fixed size, or a named free one ("batch").
struct Dim {
  int64_t value = -1;
  std::string param;
  static Dim Fixed(int64_t v) { return {v, ""}; }
  static Dim Free(std::string name) { return {-1, std::move(name)}; }
};

// A node attribute: one int, a list of ints or one float.
struct Attr {
  std::string name;
  enum Kind { kInt, kInts, kFloat } kind = kInt;
  std::vector<int64_t> ints;  // kInt: one value
  float f = 0.0f;
  static Attr Int(std::string n, int64_t v) { return {std::move(n), kInt, {v}, 0.0f}; }
  static Attr Ints(std::string n, std::vector<int64_t> v) {
    return {std::move(n), kInts, std::move(v), 0.0f};
  }
  static Attr Float(std::string n, float v) { return {std::move(n), kFloat, {}, v}; }
};

class Graph {
 public:
  explicit Graph(std::string name) : name_(std::move(name)) {}

  void AddInput(const std::string& name, ElemType type, std::vector<Dim> shape);
  void AddOutput(const std::string& name, ElemType type, std::vector<Dim> shape);
  // A constant tensor (row-major `data`, product of dims values); returns its name.
  std::string AddFloats(const std::string& name, std::vector<int64_t> dims, std::vector<float> data);
  // A node; its output is named `output`, or "<op>_<n>" when empty. Returns the output's name.
  std::string AddNode(const std::string& op, std::vector<std::string> inputs, std::string output = "",
                      std::vector<Attr> attrs = {});

  size_t num_nodes() const { return nodes_.size(); }
  size_t num_weights() const { return num_weights_; }  // float values over all initializers
  // The serialised GraphProto.
  std::string Serialize() const;

 private:
  struct ValueInfo {
    std::string name;
    ElemType type;
    std::vector<Dim> shape;
  };
  struct Node {
    std::string op, name;
    std::vector<std::string> inputs, outputs;
    std::vector<Attr> attrs;
  };
  std::string name_;
  std::vector<ValueInfo> inputs_, outputs_;
  std::vector<Node> nodes_;
  std::vector<std::string> initializers_;  // serialised TensorProtos
  size_t num_weights_ = 0;
  int next_id_ = 0;
};

// A ModelProto: the IR version of `opset`, the default ("ai.onnx") opset `opset`, the producer, the graph and
// string metadata (metadata_props).
std::string SerializeModel(const Graph& graph, int opset, const std::string& producer,
                           const std::map<std::string, std::string>& metadata);

// The metadata_props of the ONNX model in `bytes` (`what` names it in errors: IoError on a malformed file).
std::map<std::string, std::string> ReadModelMetadata(const std::string& bytes, const std::string& what);

}  // namespace s2r::onnx
