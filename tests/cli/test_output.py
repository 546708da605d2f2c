"""What the command line prints: JSON that is JSON, never NaN."""


def test_the_json_printer_never_prints_nan(monkeypatch, capsys):
    """A figure that slipped past every check is a bug (exit 1, one line), never `NaN` on stdout."""
    from mnist_app import cli

    class Figures:
        def summary(self):
            return {"dataset": "x", "train": float("nan")}

    monkeypatch.setattr(cli.data, "load_dataset", lambda name: Figures())
    assert cli.main(["data"]) == 1
    captured = capsys.readouterr()
    assert "NaN" not in captured.out and len(captured.err.strip().splitlines()) == 1
