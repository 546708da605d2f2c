"""The command line, `python -m mnist_app COMMAND`: one JSON line out, one line and exit 2 for
bad input. Never imports Streamlit or the web pages.

`parser` reads the arguments; one module per group of commands does the work (`data`,
`training`, `evaluating`, `reading`, `mapping`, `trust`, `exporting`, `lab`, `digits`); `output` is all it
prints.
"""

from __future__ import annotations

import logging
import sys
import warnings

from mnist_app.cli.output import INTERNAL_ERROR, USAGE_ERROR, fail, native_stderr_silenced
from mnist_app.cli.parser import parser
from mnist_app.errors import UserError

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run one command; every failure is one line on stderr, never a traceback."""
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    args.argv = argv
    # Library warnings (deprecations, tf.function retracing) say nothing a user of the command can act on.
    warnings.simplefilter("ignore")
    for library in ("tensorflow", "absl"):
        logging.getLogger(library).setLevel(logging.ERROR)
    # tf2onnx logs what it cannot convert as errors; `export`'s own one line says so in words.
    logging.getLogger("tf2onnx").setLevel(logging.CRITICAL)
    with native_stderr_silenced():
        try:
            return args.command(args)
        except UserError as error:
            return fail(error, USAGE_ERROR)
        except OSError as error:
            where = f" {error.filename}" if error.filename else ""
            return fail(f"cannot use{where}: {error.strerror or error}", USAGE_ERROR)
        except Exception as error:  # A bug, not the user's doing: still one line, with a distinct status.
            return fail(f"unexpected failure ({type(error).__name__}: {error})", INTERNAL_ERROR)
