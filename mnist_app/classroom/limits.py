"""The class's limits, changed by the teacher while the server runs.

They are the operator's settings (`settings.LIVE_LIMITS`) overridden in the classroom folder's
`limits.json`, which `settings.count` reads (again only when it changes) in every server process
sharing the folder: a change reaches the queue, the pruning and the digit store at their next
look, without a restart.
"""

from __future__ import annotations

from mnist_app import settings
from mnist_app.classroom import folder
from mnist_app.errors import UserError

# Each limit in a teacher's words, in the order the teacher's form shows them.
TITLES = {
    settings.JOBS_PER_VISITOR: "Training jobs per student, waiting or training",
    settings.TRAINING_SLOTS: "Jobs training at once on this server",
    settings.MAX_IMAGES_PER_JOB: "Work per job: epochs × training images",
    settings.MODELS_PER_VISITOR: "Models kept per student",
    settings.DIGITS_PER_VISITOR: "Digits saved per student",
}
# The most a teacher may set each to, unless the operator's own setting is higher.
MOST = {
    settings.JOBS_PER_VISITOR: 100,
    settings.MODELS_PER_VISITOR: 1_000,
    settings.DIGITS_PER_VISITOR: 100_000,
    settings.MAX_IMAGES_PER_JOB: 1_000_000_000,
    settings.TRAINING_SLOTS: 64,
}


def operator_value(name: str) -> int:
    """What the operator set for a live limit (or its default), whatever the teacher changed."""
    return settings.count(name, settings.LIVE_DEFAULTS[name], live=False)


def most(name: str) -> int:
    """The most a teacher may set a live limit to: MOST, or the operator's own value if higher."""
    return max(MOST[name], operator_value(name))


def current() -> dict[str, tuple[int, int]]:
    """Each live limit: (the value in force, the operator's value)."""
    return {
        name: (settings.count(name, settings.LIVE_DEFAULTS[name]), operator_value(name))
        for name in settings.LIVE_LIMITS
    }


def _check(name: object, value: object) -> int | None:
    if name not in settings.LIVE_DEFAULTS:
        raise UserError(f"{str(name)[:60]!r} is not a limit the teacher can change")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most(name):
        raise UserError(f"“{TITLES[name]}” must be a whole number in 1..{most(name):,}")
    return value


def set_limits(values: dict[str, int | None]) -> dict[str, tuple[int, int]]:
    """Change some live limits for the class (None: back to the operator's); `current()` after.

    All or nothing: one wrong value changes none. A value equal to the operator's is kept as no
    override, so a later change of the operator's setting takes effect.
    """
    checked = {name: _check(name, value) for name, value in values.items()}
    with folder.locked():
        overrides = dict(settings.live_overrides())
        for name, value in checked.items():
            if value is None or value == operator_value(name):
                overrides.pop(name, None)
            else:
                overrides[name] = value
        folder.write_json(settings.LIMITS_FILE, overrides)
    return current()


def reset() -> dict[str, tuple[int, int]]:
    """Every live limit back to the operator's value."""
    with folder.locked():
        folder.remove(settings.LIMITS_FILE)
    return current()
