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


def test_a_name_that_is_not_utf8_is_printed_as_the_app_shows_it_and_strict_json_reads_it(capsys):
    """Python keeps the byte 0xff of a file name as a lone surrogate, which JSON readers refuse."""
    import json

    from mnist_app.cli.output import print_json

    print_json({"model": "models/x\udcff.keras", "layers": [{"name": "a\\b"}], "x\udcfe": 1})
    line = capsys.readouterr().out
    assert "\\ud" not in line
    assert json.loads(line) == {"model": "models/x\\xff.keras", "layers": [{"name": "a\\b"}], "x\\xfe": 1}
    line.encode("utf-8")
