"""The house rules `lint-imports` cannot check: small modules, and a tree that says its layer."""

from tests.support import REPO

PACKAGE = REPO / "mnist_app"
LAYERS = {"datasets", "learning", "jobs", "lab", "classroom", "cli", "web"}
# Under everything: what every layer may use.
BASE = {
    "__init__.py",
    "__main__.py",
    "errors.py",
    "settings.py",
    "files.py",
    "file_names.py",
    "heap.py",
    "json_files.py",
    "markdown.py",
    "repeating.py",
    "timing.py",
}
MAX_LINES = 400


def test_no_module_is_over_400_lines():
    long = {
        str(path.relative_to(REPO)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these by what they hold: {long}"


def test_every_module_lives_in_a_layer_or_under_them_all():
    loose = {path.name for path in PACKAGE.glob("*.py")} - BASE
    folders = {path.name for path in PACKAGE.iterdir() if path.is_dir() and path.name != "__pycache__"}
    assert not loose, f"put these in the package of their layer: {sorted(loose)}"
    assert folders == LAYERS


def test_the_readme_names_every_module_of_the_tree():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout") : readme.index("## Notes for developers")]
    unnamed = [
        str(path.relative_to(PACKAGE))
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "__init__.py" and path.parent.name != "pages" and path.stem not in layout
        and path.name != "__main__.py"
    ]  # fmt: skip
    assert not unnamed, f"the README's Layout section does not name {unnamed}"
