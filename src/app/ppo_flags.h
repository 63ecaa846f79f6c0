// The --ppo.* flags of lerobot-sim2real's train/eval scripts (tyro spellings: --ppo.num_envs,
// --ppo.num-envs, --ppo.no-partial-reset, "None" for optional values), bound to rl::PpoConfig.
//
// One field list (PpoFields) drives everything that names a PpoConfig field: the flags, the JSON that
// config.json and every checkpoint carry, reading that JSON back when a run is resumed, and which fields a
// resumed run may change.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "rl/distill.h"
#include "rl/ppo.h"

namespace s2r::app {

// What a resumed run may do with a field.
enum class OnResume {
  kSafe,        // may change: how long, how often to evaluate, where and how fast it computes
  kChangesRun,  // the run's meaning (env, batch shape, network, objective): refused unless allowed
  kNotCarried,  // not a property of the run (exp_name, checkpoint, evaluate)
};

using FieldRef = std::variant<bool*, int*, int64_t*, uint64_t*, double*, std::string*, std::optional<int>*,
                              std::optional<double>*>;

struct PpoField {
  std::string name;  // flag spelling after --ppo.: "num-envs"; the JSON key is the same with '_'
  FieldRef ref;      // into the PpoConfig the list was made for
  std::string help;
  OnResume on_resume = OnResume::kChangesRun;
  bool fpo = false;  // --algo fpo only (its own help group)
  std::string json_key() const;
  std::string prefix = "--ppo.";  // or "--distill."
  std::string flag() const { return prefix + name; }
};

// The fields of `cfg`, in help order (derived sizes such as batch_size are not fields).
std::vector<PpoField> PpoFields(rl::PpoConfig* cfg);

// Registers every field as a flag of `cmd`. Optional values parse "None" (or a number) as they arrive.
void AddPpoFlags(CLI::App* cmd, rl::PpoConfig* cfg);
// Derives the batch sizes; throws ConfigError naming the flag.
void FinishPpoFlags(rl::PpoConfig* cfg);

// Every field (plus the derived sizes) as JSON, keys in snake_case.
nlohmann::json PpoConfigToJson(const rl::PpoConfig& cfg);
// Fields present in `j` (a PpoConfigToJson object) overwrite `cfg`'s; absent ones keep theirs (older
// checkpoints). Throws ConfigError naming `what` and the key for a value of the wrong type.
void PpoConfigFromJson(const nlohmann::json& j, rl::PpoConfig* cfg, const std::string& what);

// The --distill.* flags of `train --algo distill` (the loss as text until ParseDistillLoss).
struct DistillFlags {
  rl::DistillConfig cfg;
  std::string loss = "mse";
};
std::vector<PpoField> DistillFields(DistillFlags* d);
void AddDistillFlags(CLI::App* cmd, DistillFlags* d);
// Parses the loss name into cfg.loss and validates; throws ConfigError naming the flag.
void FinishDistillFlags(DistillFlags* d);
nlohmann::json DistillFlagsToJson(const DistillFlags& d);
void DistillFlagsFromJson(const nlohmann::json& j, DistillFlags* d, const std::string& what);

// A difference between two configs, field by field: the field, both values as text.
struct FieldChange {
  std::string name;  // as PpoField::name
  OnResume on_resume;
  std::string from, to;
};
// The fields where `given` differs from `resumed` among those `was_given` selects.
// fa and fb: the same field list made for two configs (`resumed` and `given`).
std::vector<FieldChange> DiffFields(const std::vector<PpoField>& fa, const std::vector<PpoField>& fb,
                                    const std::function<bool(const PpoField&)>& was_given);
// Copies the value of field `name` from list `src` to list `dst` (the same list made for two configs).
void CopyField(const std::string& name, const std::vector<PpoField>& src, const std::vector<PpoField>& dst);

}  // namespace s2r::app
