make demo   # generate code from schemas/, start the emulator, publish and receive the example messages
make test   # ruff, mypy --strict and every test (the emulator tests start the emulator themselves)
