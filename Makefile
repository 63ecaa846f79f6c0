# The front door. `make demo` installs what is missing, builds and runs the main job on the built-in
# defaults; `make test` builds and runs the whole test suite.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: deps configure build demo test bench clean

deps:
	@bash scripts/install-deps.sh

configure: deps
	@if [ ! -f $(BUILD)/build.ninja ]; then cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release; fi

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# The main job: a ~10-minute state-observation PPO run, then an evaluation of its final checkpoint.
demo: build
	bash scripts/demo.sh $(BUILD)/sim2real

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	bash bench/env.sh
	bash bench/render.sh

clean:
	rm -rf $(BUILD)
