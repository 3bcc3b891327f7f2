"""Entry point Pulumi runs (Pulumi.yaml `main: infra/`).

Pulumi starts the program with infra/ as working directory and on sys.path, not the project
root, so the root is added to import `components` and `infra` as packages.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pulumi  # noqa: E402

from components.core.errors import ConfigError  # noqa: E402
from infra.program import main  # noqa: E402

try:
    main()
except ConfigError as err:
    # RunError is reported as the message alone, without a Python traceback.
    raise pulumi.RunError(str(err)) from None
