"""``python -m playground.bench``: runs ``playground.tools.bench`` (the code is there)."""
from playground.tools.bench import main

if __name__ == "__main__":
    main()
