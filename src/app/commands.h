// Each `sim2real <verb>` registers itself on the top-level CLI11 app.
#pragma once

#include <CLI/CLI.hpp>

namespace s2r::app {

void AddEnvsCommand(CLI::App& app);
void AddScriptedCommand(CLI::App& app);
void AddBenchCommand(CLI::App& app);
void AddRenderCommand(CLI::App& app);
void AddRecordResetsCommand(CLI::App& app);
void AddTrainCommand(CLI::App& app);
void AddLaunchCommand(CLI::App& app);
void AddEvalCommand(CLI::App& app);
void AddMotorsCommand(CLI::App& app);
void AddVirtualRobotCommand(CLI::App& app);
void AddCalibrateCommand(CLI::App& app);
void AddCompareRunsCommand(CLI::App& app);
void AddAlignCameraCommand(CLI::App& app);
void AddCaptureBackgroundCommand(CLI::App& app);
void AddExportOnnxCommand(CLI::App& app);
void AddFindPortCommand(CLI::App& app);
void AddFindCamerasCommand(CLI::App& app);

}  // namespace s2r::app
