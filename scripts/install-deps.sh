#!/usr/bin/env bash
# Installs the Debian packages sim2real builds against, only those that are missing.
# Safe to run again: it does nothing when everything is present.
set -euo pipefail

# Usage: install-deps.sh [--deploy-only]   (--deploy-only: what `make deploy` needs on a robot computer:
# no MuJoCo, libtorch, OSMesa or test packages)
DEPLOY_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  nlohmann-json3-dev libcli11-dev     # configuration and command line
  libstb-dev ffmpeg                   # images (PNG/JPEG read, PNG write) and MP4 videos (ffmpeg CLI)
  libopencv-core-dev libopencv-imgproc-dev   # real cameras: V4L2 capture and video decoding (videoio),
  libopencv-videoio-dev libopencv-highgui-dev # and windows (highgui)
  gstreamer1.0-plugins-base           # GStreamer cameras (--camera gst:PIPELINE; csi on a Jetson, whose
                                      # JetPack adds nvarguscamerasrc/nvvidconv): videotestsrc, videoconvert
                                      # and appsink, which the camera test's capture from videotestsrc needs
  libopencv-dnn-dev                   # running exported ONNX policies without libtorch (OpenCV's dnn)
)
PACKAGES=(
  "${DEPLOY_PACKAGES[@]}"
  libmujoco-dev libqhull-dev          # physics (MuJoCo's CMake config needs qhull headers)
  libtorch-dev libopenblas0-pthread   # learning; OpenBLAS makes libtorch ~7x faster than reference BLAS
  libosmesa6-dev                      # MuJoCo's own renderer, the reference for tests and benchmarks only
  python3-onnx                        # the ONNX project's checker, which the export test runs
  xvfb xauth                          # a virtual display for the camera-alignment window test
  fuse3 libfuse3-dev                  # the virtual PCA9685: a FUSE file that acts as /dev/i2c-N in tests
  libgloo-dev                         # data-parallel training: the headers c10d's ProcessGroupGloo needs
  libgtest-dev libgmock-dev libbenchmark-dev
)
case "${1:-}" in
  "") ;;
  --deploy-only) PACKAGES=("${DEPLOY_PACKAGES[@]}") ;;
  *) echo "install-deps: unknown argument '$1' (expected nothing or --deploy-only)" >&2; exit 2 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
