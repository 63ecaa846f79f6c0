#include "core/stop_signal.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>

namespace s2r {

namespace {
std::atomic<bool> g_stop{false};
std::atomic<bool> g_exit_on_second{false};
extern "C" void OnStopSignal(int) {
  if (g_stop.exchange(true) && g_exit_on_second.load()) _exit(130);  // async-signal-safe
}
}  // namespace

void InstallStopSignals(SecondSignal second) {
  g_exit_on_second.store(second == SecondSignal::kExitNow);
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool StopRequested() { return g_stop.load(); }
void RequestStop() { g_stop.store(true); }
void ClearStop() { g_stop.store(false); }

}  // namespace s2r
