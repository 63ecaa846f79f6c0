# The front door. `make demo` installs what is missing, builds and runs the main job on the built-in
# defaults; `make test` builds and runs the whole test suite.
BUILD ?= build
JOBS ?= $(shell nproc)

DEPLOY_BUILD ?= $(BUILD)-deploy

.PHONY: deps configure build demo test test-deploy deploy bench clean

deps:
	@bash scripts/install-deps.sh

configure: deps
	@if [ ! -f $(BUILD)/build.ninja ]; then cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release; fi

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# The main job: a ~10-minute state-observation PPO run, then an evaluation of its final checkpoint.
demo: build
	bash scripts/demo.sh $(BUILD)/sim2real

# The tests of the full build, then those of the deploy-only build (run against the full build's virtual
# robot).
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) test-deploy

test-deploy: build
	cmake -S . -B $(DEPLOY_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DSIM2REAL_DEPLOY_ONLY=ON \
	  -DS2R_FULL_BUILD_DIR=$(abspath $(BUILD)) > /dev/null
	cmake --build $(DEPLOY_BUILD) -j $(JOBS)
	cd $(DEPLOY_BUILD) && ctest --output-on-failure -j $(JOBS)

# The robot computer's build: the robot-side commands only, without MuJoCo or libtorch (README: Deploy-only
# build). Installs only the packages it needs.
deploy:
	@bash scripts/install-deps.sh --deploy-only
	cmake -S . -B $(DEPLOY_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DSIM2REAL_DEPLOY_ONLY=ON -DS2R_BUILD_TESTS=OFF
	cmake --build $(DEPLOY_BUILD) -j $(JOBS)

bench: build
	bash bench/env.sh
	bash bench/render.sh

clean:
	rm -rf $(BUILD) $(DEPLOY_BUILD)
