// Ctrl+C and SIGTERM as a request, not a kill: long jobs (training, the real-robot loop) poll StopRequested()
// at safe points and wind down (a checkpoint written, the arm at rest). Standard library and POSIX only.
#pragma once

namespace s2r {

enum class SecondSignal {
  kKeepWaiting,  // the job must finish winding down (the real robot returning to rest)
  kExitNow,      // a second Ctrl+C ends the process at once with status 130 (training: files are atomic)
};

// Installs handlers for SIGINT and SIGTERM (no SA_RESTART, so a blocking read returns EINTR).
void InstallStopSignals(SecondSignal second);
bool StopRequested();
void RequestStop();
void ClearStop();

}  // namespace s2r
