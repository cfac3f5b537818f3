"""``python -m playground.loadtest``: runs ``playground.tools.loadtest`` (the code is there)."""
from playground.tools.loadtest import main

if __name__ == "__main__":
    main()
