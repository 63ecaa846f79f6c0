#include "rl/dist_group.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "core/stop_signal.h"

#ifdef S2R_WITH_C10D
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace s2r::rl {

#ifdef S2R_WITH_C10D

namespace {
std::chrono::milliseconds Millis(double s) {
  return std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
}
bool IsLoopback(const std::string& a) { return a == "localhost" || a.rfind("127.", 0) == 0; }
}  // namespace

constexpr double kBeatPeriodS = 0.5;  // each rank's heartbeat counter in the store advances this often

std::string BeatKey(int rank) { return "s2r/beat/" + std::to_string(rank); }

struct DistGroup::Impl {
  DistConfig cfg;
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
  std::string where;  // "127.0.0.1:29500"
  // The heartbeat: a thread with a store connection of its own adds 1 to s2r/beat/<rank> every
  // kBeatPeriodS, so a failed collective can tell which rank stopped (died or was stopped) from one that is
  // only slow.
  c10::intrusive_ptr<c10d::TCPStore> beat_store;
  std::thread beat;
  std::mutex beat_mu;
  std::condition_variable beat_cv;
  bool beat_stop = false;

  ~Impl() { StopHeartbeat(); }  // also when the constructor fails after starting it

  void StartHeartbeat(const c10d::TCPStoreOptions& base) {
    c10d::TCPStoreOptions o = base;
    o.isServer = false;
    o.waitWorkers = false;
    o.numWorkers = c10::nullopt;
    beat_store = c10::make_intrusive<c10d::TCPStore>(cfg.master_addr, o);
    beat_store->add(BeatKey(cfg.rank), 1);
    beat = std::thread([this] {
      std::unique_lock<std::mutex> lock(beat_mu);
      while (!beat_cv.wait_for(lock, Millis(kBeatPeriodS), [this] { return beat_stop; })) {
        try {
          beat_store->add(BeatKey(cfg.rank), 1);
        } catch (const std::exception&) {
          return;  // the store is gone (rank 0 ended): nothing left to tell
        }
      }
    });
  }
  void StopHeartbeat() {
    if (!beat.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(beat_mu);
      beat_stop = true;
    }
    beat_cv.notify_all();
    beat.join();
  }

  // Which ranks stopped: their heartbeat counters did not move over 3 beat periods. "" when every rank is
  // alive (then the collective timed out on a slow rank).
  std::string LostRanks() const {
    auto counters = [&] {
      std::vector<int64_t> v;
      for (int r = 0; r < cfg.world_size; ++r) v.push_back(store->add(BeatKey(r), 0));
      return v;
    };
    const std::vector<int64_t> before = counters();
    std::this_thread::sleep_for(Millis(3 * kBeatPeriodS));
    const std::vector<int64_t> after = counters();
    std::string lost;
    for (int r = 0; r < cfg.world_size; ++r)
      if (r != cfg.rank && after[static_cast<size_t>(r)] == before[static_cast<size_t>(r)])
        lost += (lost.empty() ? "" : ", ") + std::to_string(r);
    return lost;
  }

  // Waits for a collective; a failure (peer gone, timeout) becomes LostRankError naming what was done and
  // which rank was lost.
  void Wait(const c10::intrusive_ptr<c10d::Work>& work, const char* op) const {
    try {
      work->wait();
    } catch (const std::exception& e) {
      std::string who;
      try {
        const std::string lost = LostRanks();
        who = lost.empty() ? "every rank's heartbeat still advances, so a rank is slower than the " +
                                 std::to_string(static_cast<int>(cfg.timeout_s)) + " s timeout"
                           : (lost.find(',') == std::string::npos ? "lost rank " : "lost ranks ") + lost +
                                 " (its heartbeat stopped: it died or was stopped)";
      } catch (const std::exception&) {
        who = "lost rank 0 (the rendezvous store it serves at " + where + " is gone)";
      }
      char msg[160];
      std::snprintf(msg, sizeof(msg), "rank %d of %d: %s failed: ", cfg.rank, cfg.world_size, op);
      throw LostRankError(msg + who + "; " + std::string(e.what()).substr(0, 300));
    }
  }
};

DistGroup::DistGroup(const DistConfig& c) : impl_(std::make_unique<Impl>()) {
  ValidateDistConfig(c, "distributed config:");
  Impl& m = *impl_;
  m.cfg = c;
  m.where = c.master_addr + ":" + std::to_string(c.master_port);
  c10d::TCPStoreOptions opts;
  opts.port = static_cast<uint16_t>(c.master_port);
  opts.isServer = c.rank == 0;
  opts.numWorkers = static_cast<size_t>(c.world_size);
  opts.waitWorkers = true;
  opts.timeout = Millis(c.timeout_s);
  try {
    m.store = c10::make_intrusive<c10d::TCPStore>(c.master_addr, opts);
  } catch (const std::exception& e) {
    if (s2r::StopRequested()) throw Interrupted("stopped (Ctrl+C) before every rank had joined the job");
    throw IoError("rank " + std::to_string(c.rank) + ": the rendezvous at " + m.where +
                  (c.rank == 0 ? " could not be served" : " could not be reached") + " within " +
                  std::to_string(static_cast<int>(c.timeout_s)) + " s (MASTER_ADDR/MASTER_PORT; is rank 0 " +
                  "running, and every rank started?): " + std::string(e.what()).substr(0, 300));
  }
  try {
    m.StartHeartbeat(opts);
  } catch (const std::exception& e) {
    throw IoError("rank " + std::to_string(c.rank) + ": a second connection to the rendezvous at " + m.where +
                  " (the heartbeat) failed: " + std::string(e.what()).substr(0, 300));
  }
  auto options = c10d::ProcessGroupGloo::Options::create(Millis(c.timeout_s));
  options->devices.push_back(IsLoopback(c.master_addr)
                                 ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                 : c10d::ProcessGroupGloo::createDefaultDevice());
  options->threads = 1;
  try {
    m.pg = c10::make_intrusive<c10d::ProcessGroupGloo>(m.store, c.rank, c.world_size, options);
  } catch (const std::exception& e) {
    throw IoError("rank " + std::to_string(c.rank) + ": the Gloo group over " + m.where +
                  " could not connect every rank: " + std::string(e.what()).substr(0, 300));
  }
}

DistGroup::~DistGroup() = default;

int DistGroup::rank() const { return impl_->cfg.rank; }
int DistGroup::world_size() const { return impl_->cfg.world_size; }

void DistGroup::Broadcast(const std::vector<torch::Tensor>& tensors) {
  for (const auto& t : tensors) {
    std::vector<at::Tensor> one = {t.detach()};  // in place: detach shares the storage
    impl_->Wait(impl_->pg->broadcast(one), "broadcast of rank 0's weights");
  }
}

void DistGroup::AverageGradients(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> grads;
  grads.reserve(params.size());
  for (const auto& p : params)
    grads.push_back(p.grad().defined() ? p.grad().reshape(-1) : torch::zeros({p.numel()}, p.options()));
  std::vector<at::Tensor> flat = {torch::cat(grads)};
  impl_->Wait(impl_->pg->allreduce(flat), "allreduce of the gradients");
  flat[0].div_(static_cast<double>(world_size()));
  int64_t offset = 0;
  for (const auto& p : params) {
    const int64_t n = p.numel();
    auto avg = flat[0].slice(0, offset, offset + n).view(p.sizes());
    if (p.grad().defined())
      p.mutable_grad().copy_(avg);
    else
      p.mutable_grad() = avg.clone();
    offset += n;
  }
}

std::vector<double> DistGroup::Sum(const std::vector<double>& values) {
  std::vector<at::Tensor> t = {torch::from_blob(const_cast<double*>(values.data()),
                                                {static_cast<int64_t>(values.size())}, torch::kFloat64)
                                   .clone()};
  impl_->Wait(impl_->pg->allreduce(t), "allreduce of statistics");
  return std::vector<double>(t[0].data_ptr<double>(), t[0].data_ptr<double>() + values.size());
}

void DistGroup::RequireSame(const std::string& what, const std::string& value) {
  Impl& m = *impl_;
  const std::string key = "s2r/same/" + what + "/";
  m.store->set(key + std::to_string(m.cfg.rank), std::vector<uint8_t>(value.begin(), value.end()));
  const auto v0 = m.store->get(key + "0");
  const std::string root(v0.begin(), v0.end());
  for (int r = 1; r < m.cfg.world_size; ++r) {
    const auto v = m.store->get(key + std::to_string(r));
    const std::string other(v.begin(), v.end());
    if (other != root)
      throw ConfigError("ranks disagree on the " + what + ": rank 0 has '" + root.substr(0, 200) +
                        "', rank " + std::to_string(r) + " has '" + other.substr(0, 200) +
                        "'; every rank must run the same command");
  }
}

void DistGroup::Barrier(double timeout_s) {
  c10d::BarrierOptions o;
  if (timeout_s > 0) o.timeout = Millis(timeout_s);
  impl_->Wait(impl_->pg->barrier(o), "barrier");
}

#else  // built without c10d/Gloo

struct DistGroup::Impl {};

DistGroup::DistGroup(const DistConfig& c) {
  throw ConfigError(
      "distributed training (WORLD_SIZE=" + std::to_string(c.world_size) +
      "): this build has no c10d/Gloo; install libgloo-dev (scripts/install-deps.sh) and rebuild");
}
DistGroup::~DistGroup() = default;
int DistGroup::rank() const { return 0; }
int DistGroup::world_size() const { return 1; }
void DistGroup::Broadcast(const std::vector<torch::Tensor>&) {}
void DistGroup::AverageGradients(const std::vector<torch::Tensor>&) {}
std::vector<double> DistGroup::Sum(const std::vector<double>& v) { return v; }
void DistGroup::RequireSame(const std::string&, const std::string&) {}
void DistGroup::Barrier(double) {}

#endif

std::string DistGroup::Fingerprint(const std::vector<torch::Tensor>& tensors) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a over every byte
  for (const auto& t : tensors) {
    const auto c = t.detach().to(torch::kCPU).contiguous();
    const auto* p = static_cast<const uint8_t*>(c.data_ptr());
    for (size_t i = 0, n = c.numel() * c.element_size(); i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

}  // namespace s2r::rl
