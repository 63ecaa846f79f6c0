#include "onnx/onnx_model.h"

#include <cstring>
#include <stdexcept>

#include "core/error.h"
#include "core/protobuf_wire.h"

namespace s2r::onnx {

using namespace s2r::pb;

namespace {

// Field numbers from onnx/onnx.proto (proto2: repeated scalars are written unpacked, one key each).
namespace model {
constexpr uint32_t kIrVersion = 1, kProducerName = 2, kProducerVersion = 3, kGraph = 7, kOpsetImport = 8,
                   kMetadataProps = 14;
}
namespace opset_id {
constexpr uint32_t kDomain = 1, kVersion = 2;
}
namespace graph {
constexpr uint32_t kNode = 1, kName = 2, kInitializer = 5, kInput = 11, kOutput = 12;
}
namespace node {
constexpr uint32_t kInput = 1, kOutput = 2, kName = 3, kOpType = 4, kAttribute = 5;
}
namespace attribute {
constexpr uint32_t kName = 1, kF = 2, kI = 3, kInts = 8, kType = 20;
constexpr int64_t kTypeFloat = 1, kTypeInt = 2, kTypeInts = 7;
}  // namespace attribute
namespace tensor {
constexpr uint32_t kDims = 1, kDataType = 2, kName = 8, kRawData = 9;
}
namespace value_info {
constexpr uint32_t kName = 1, kType = 2;
}
namespace type_proto {
constexpr uint32_t kTensorType = 1, kElemType = 1, kShape = 2, kDim = 1, kDimValue = 1, kDimParam = 2;
}
namespace entry {
constexpr uint32_t kKey = 1, kValue = 2;
}
// The IR version a model of `opset` declares (onnx/helper.py's table).
int64_t IrVersionFor(int opset) { return opset <= 8 ? 3 : opset == 9 ? 4 : opset == 10 ? 5 : opset == 11 ? 6 : 7; }

std::string TensorProto(const std::string& name, ElemType type, const std::vector<int64_t>& dims,
                        const void* data, size_t bytes) {
  std::string t;
  for (const int64_t d : dims) PutInt64(&t, tensor::kDims, d);
  PutInt64(&t, tensor::kDataType, static_cast<int64_t>(type));
  PutBytes(&t, tensor::kName, name);
  // raw_data is little-endian; so is every host sim2real builds on (x86-64, aarch64).
  PutBytes(&t, tensor::kRawData, std::string_view(static_cast<const char*>(data), bytes));
  return t;
}

int64_t Count(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (const int64_t d : dims) n *= d;
  return n;
}

}  // namespace

void Graph::AddInput(const std::string& name, ElemType type, std::vector<Dim> shape) {
  inputs_.push_back({name, type, std::move(shape)});
}

void Graph::AddOutput(const std::string& name, ElemType type, std::vector<Dim> shape) {
  outputs_.push_back({name, type, std::move(shape)});
}

std::string Graph::AddFloats(const std::string& name, std::vector<int64_t> dims, std::vector<float> data) {
  if (Count(dims) != static_cast<int64_t>(data.size()))
    throw std::logic_error("onnx: initializer " + name + " has " + std::to_string(data.size()) +
                           " values for its shape");
  initializers_.push_back(
      TensorProto(name, ElemType::kFloat, dims, data.data(), data.size() * sizeof(float)));
  num_weights_ += data.size();
  return name;
}

std::string Graph::AddNode(const std::string& op, std::vector<std::string> inputs, std::string output,
                           std::vector<Attr> attrs) {
  const std::string id = op + "_" + std::to_string(next_id_++);
  if (output.empty()) output = id;
  nodes_.push_back({op, id, std::move(inputs), {output}, std::move(attrs)});
  return output;
}

namespace {

std::string ValueInfoProto(const std::string& name, ElemType type, const std::vector<Dim>& shape) {
  std::string s;
  for (const Dim& d : shape) {
    std::string dim;
    if (d.param.empty())
      PutInt64(&dim, type_proto::kDimValue, d.value);
    else
      PutBytes(&dim, type_proto::kDimParam, d.param);
    PutBytes(&s, type_proto::kDim, dim);
  }
  std::string tensor_type;
  PutInt64(&tensor_type, type_proto::kElemType, static_cast<int64_t>(type));
  PutBytes(&tensor_type, type_proto::kShape, s);
  std::string type_msg;
  PutBytes(&type_msg, type_proto::kTensorType, tensor_type);
  std::string v;
  PutBytes(&v, value_info::kName, name);
  PutBytes(&v, value_info::kType, type_msg);
  return v;
}

std::string AttributeProto(const Attr& a) {
  std::string s;
  PutBytes(&s, attribute::kName, a.name);
  switch (a.kind) {
    case Attr::kInt:
      PutInt64(&s, attribute::kI, a.ints.at(0));
      PutInt64(&s, attribute::kType, attribute::kTypeInt);
      break;
    case Attr::kInts:
      for (const int64_t v : a.ints) PutInt64(&s, attribute::kInts, v);
      PutInt64(&s, attribute::kType, attribute::kTypeInts);
      break;
    case Attr::kFloat:
      PutFloat(&s, attribute::kF, a.f);
      PutInt64(&s, attribute::kType, attribute::kTypeFloat);
      break;
  }
  return s;
}

}  // namespace

std::string Graph::Serialize() const {
  std::string g;
  for (const Node& n : nodes_) {
    std::string s;
    for (const auto& in : n.inputs) PutBytes(&s, node::kInput, in);
    for (const auto& out : n.outputs) PutBytes(&s, node::kOutput, out);
    PutBytes(&s, node::kName, n.name);
    PutBytes(&s, node::kOpType, n.op);
    for (const Attr& a : n.attrs) PutBytes(&s, node::kAttribute, AttributeProto(a));
    PutBytes(&g, graph::kNode, s);
  }
  PutBytes(&g, graph::kName, name_);
  for (const auto& t : initializers_) PutBytes(&g, graph::kInitializer, t);
  for (const auto& v : inputs_) PutBytes(&g, graph::kInput, ValueInfoProto(v.name, v.type, v.shape));
  for (const auto& v : outputs_) PutBytes(&g, graph::kOutput, ValueInfoProto(v.name, v.type, v.shape));
  return g;
}

std::string SerializeModel(const Graph& graph, int opset, const std::string& producer,
                           const std::map<std::string, std::string>& metadata) {
  std::string m;
  PutInt64(&m, model::kIrVersion, IrVersionFor(opset));
  PutBytes(&m, model::kProducerName, producer);
  PutBytes(&m, model::kProducerVersion, "0.1.0");
  PutBytes(&m, model::kGraph, graph.Serialize());
  std::string op;
  PutBytes(&op, opset_id::kDomain, "");
  PutInt64(&op, opset_id::kVersion, opset);
  PutBytes(&m, model::kOpsetImport, op);
  for (const auto& [k, v] : metadata) {
    std::string e;
    PutBytes(&e, entry::kKey, k);
    PutBytes(&e, entry::kValue, v);
    PutBytes(&m, model::kMetadataProps, e);
  }
  return m;
}

std::map<std::string, std::string> ReadModelMetadata(const std::string& bytes, const std::string& what) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  Field f;
  bool saw_graph = false;
  while (NextField(bytes, &pos, &f, what)) {
    if (f.number == model::kGraph && f.type == kLengthDelimited) saw_graph = true;
    if (f.number != model::kMetadataProps || f.type != kLengthDelimited) continue;
    std::string key, value;
    size_t p = 0;
    Field e;
    while (NextField(f.bytes, &p, &e, what)) {
      if (e.type != kLengthDelimited) continue;
      if (e.number == entry::kKey) key = std::string(e.bytes);
      if (e.number == entry::kValue) value = std::string(e.bytes);
    }
    out[key] = value;
  }
  if (!saw_graph) throw IoError(what + ": not an ONNX model (no graph)");
  return out;
}

}  // namespace s2r::onnx
