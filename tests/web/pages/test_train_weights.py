"""The Train page shows the weights of the network it trains: a ridge of histograms per layer,
epoch by epoch, with the sentence that says how to read it above, and the move of each epoch."""

from tests.support.pages import as_read, page, wait_until


def chart_data(chart):
    import pyarrow

    (dataset,) = chart.proto.datasets
    return pyarrow.ipc.open_stream(dataset.data.data).read_pandas()


def test_train_page_draws_each_layers_weights_epoch_by_epoch(models_dir):
    at = page("train").run()
    at.number_input(key="train_epochs").set_value(2).run()
    at.button(key="start_training").click().run()
    wait_until(at, lambda at: any(m.label == "Test accuracy" for m in at.metric))
    assert not at.exception and not at.error
    assert "How the weights change" in [s.value for s in at.subheader]
    texts = [as_read(m.value) for m in at.markdown]
    titles = [
        "**Dense 1: 784 units, relu**",
        "**Dense 2: 100 units, relu**",
        "**Output: 10 classes, softmax**",
    ]
    assert all(title in texts for title in titles), "each layer titled in words"
    sentence = next(i for i, text in enumerate(texts) if text.startswith("Each row is one epoch"))
    assert sentence < texts.index(titles[0]), "the sentence that says how to read them comes first"
    charts = [chart_data(chart) for chart in at.get("vega_lite_chart")]
    ridges = [frame for frame in charts if "share" in frame.columns]
    assert len(ridges) == 3
    for frame in ridges:
        assert sorted(set(frame["epoch"])) == [0, 1, 2], "epoch 0, before training, and each epoch"
        assert frame.groupby("epoch")["share"].sum().round(6).eq(1).all()
    (moves,) = [frame for frame in charts if "change" in frame.columns]
    assert sorted(set(moves["epoch"])) == [1, 2] and (moves["change"] > 0).all()

    at.segmented_control(key="train_weights_part").set_value("biases").run()
    assert not at.exception
    assert any("of the layer's biases have that value" in m.value for m in at.markdown)
    ridges = [chart_data(c) for c in at.get("vega_lite_chart") if "share" in chart_data(c).columns]
    assert len(ridges) == 3 and all(frame["title"].nunique() == 1 for frame in ridges)
