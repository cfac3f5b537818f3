"""``python -m playground.bench_devices``: runs ``playground.tools.bench_devices`` (the code is there)."""
from playground.tools.bench_devices import main

if __name__ == "__main__":
    main()
