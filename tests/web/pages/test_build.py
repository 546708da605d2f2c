"""The Build page with Streamlit's AppTest: presets, edits, mistakes at their layer, links, downloads,
and a designed network trained as the app's job."""

import json

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from mnist_app.learning.design_links import DEFAULT_PRESET
from mnist_app.learning.design_plan import plan
from mnist_app.learning.designs import PRESETS, Layer, parse_json, parse_text
from tests.support.datasets import write_npz
from tests.support.pages import app_page, as_read, page, wait_until


def layers_of(at) -> tuple[Layer, ...]:
    return tuple(layer for _, layer in at.session_state["build_entries"])


def entry_id(at, position: int) -> int:
    """The id that keys the widgets of the layer at this 1-based position."""
    return at.session_state["build_entries"][position - 1][0]


def summary_parameters(at) -> list[int]:
    return at.dataframe[0].value["parameters"].tolist()


def shown(at) -> str:
    return as_read(" ".join(m.value for m in at.markdown))


def keras_code(at) -> str:
    return next(code.value for code in at.code if code.language == "python")


@pytest.mark.parametrize(
    ("title", "parameters"), [("Logistic regression", 7_850), ("The lab's MLP", 694_950)]
)
def test_a_preset_fills_the_list_and_the_summary_counts_as_keras_does(title, parameters):
    """The issue's figures for the two presets a learner knows from the lab."""
    at = page("build").run()
    at.selectbox(key="build_preset").select(title).run()
    assert not at.exception
    assert layers_of(at) == PRESETS[title]
    assert sum(summary_parameters(at)) == parameters
    assert f"In all, **{parameters:,} parameters**" in shown(at)


def test_every_preset_fills_the_list_with_its_plan():
    at = page("build").run()
    for title, layers in PRESETS.items():
        at.selectbox(key="build_preset").select(title).run()
        assert layers_of(at) == layers
        assert sum(summary_parameters(at)) == plan(layers).parameters
        assert f"{plan(layers).parameters:,} parameters" in shown(at)
        assert not at.error, title


def test_an_edit_changes_the_summary_and_the_code_and_makes_the_network_yours():
    at = page("build").run()
    assert at.selectbox(key="build_preset").value == DEFAULT_PRESET
    at.number_input(key=f"build_{entry_id(at, 3)}_units").set_value(32).run()
    assert not at.exception
    assert layers_of(at)[2] == Layer("dense", units=32)
    assert summary_parameters(at) == [0, 615_440, 784 * 32 + 32, 32 * 10 + 10]
    assert 'layers.Dense(32, activation="relu", name="dense2_32_units_relu")' in keras_code(at)
    assert at.selectbox(key="build_preset").value == "Your network"
    at.selectbox(key=f"build_{entry_id(at, 2)}_activation").select("tanh").run()
    assert 'layers.Dense(784, activation="tanh"' in keras_code(at)
    assert at.query_params["net"] == "flatten,dense:784:tanh,dense:32:relu"


def test_layers_are_added_moved_and_removed():
    at = page("build").run()
    at.selectbox(key="build_add_kind").select("dropout").run()
    at.button(key="build_add").click().run()
    assert layers_of(at)[-1] == Layer.new("dropout")
    dropout = entry_id(at, 4)
    at.button(key=f"build_up_{dropout}").click().run()
    assert [layer.kind for layer in layers_of(at)] == ["flatten", "dense", "dropout", "dense"]
    at.number_input(key=f"build_{dropout}_rate").set_value(0.5).run()
    assert layers_of(at)[2].rate == 0.5, "the moved layer keeps its own controls"
    at.button(key=f"build_remove_{entry_id(at, 1)}").click().run()
    assert [layer.kind for layer in layers_of(at)] == ["dense", "dropout", "dense"]
    assert not at.exception
    assert any("Flatten" in note.value and "added" in note.value for note in at.info)


def test_a_convolution_after_flatten_is_explained_at_its_layer_and_train_is_off():
    at = page("build").run()
    at.selectbox(key="build_add_kind").select("conv").run()
    at.button(key="build_add").click().run()
    assert not at.exception
    (error,) = at.error
    assert as_read(error.value).startswith("Layer 4: a convolution needs a grid of pixels")
    assert "move it above" in error.value
    assert at.button(key="build_train").disabled
    assert not [code for code in at.code if code.language == "python"], "no code for a broken network"
    conv = entry_id(at, 4)
    for _ in range(3):
        at.button(key=f"build_up_{conv}").click().run()
    assert not at.error
    assert not at.button(key="build_train").disabled
    assert "layers.Reshape((28, 28, 1)" in keras_code(at)


def test_a_link_restores_the_design_and_the_choices_and_the_address_follows_edits():
    at = page("build")
    at.query_params.update(
        net="conv:8:3:relu,pool:2,flatten,dropout:0.25", lr="0.003", n="300", noise="0.2", aug="on"
    )
    at.run()
    assert not at.exception and not at.warning
    assert layers_of(at) == parse_text("conv:8:3:relu,pool:2,flatten,dropout:0.25")
    assert at.select_slider(key="build_learning_rate").value == 0.003
    assert at.select_slider(key="build_train_size").value == 300
    assert at.select_slider(key="build_label_noise").value == 0.2
    assert at.toggle(key="build_augment").value is True
    assert at.query_params["seed"] == "0", "the address now lists every choice"
    at.number_input(key="build_epochs").set_value(30).run()
    assert at.query_params["epochs"] == "30"
    assert layers_of(at) == parse_text("conv:8:3:relu,pool:2,flatten,dropout:0.25"), "kept"
    link = next(code.value for code in at.code if code.language == "plaintext")
    assert "net=conv:8:3:relu,pool:2,flatten,dropout:0.25&" in link and "epochs=30" in link


@pytest.mark.parametrize(
    "query",
    [
        {"net": "conv:32:3:relu,pool:2,fla"},  # truncated
        {"net": "dense:128:relu", "lr": "0.00"},  # truncated in a choice
        {"net": "dense:128:relu," * 1_000},  # enormous
        {"net": "dense:99999999:relu"},  # forged
        {"net": "![x](https:elsewhere.example),**bold**"},  # forged, in Markdown
        {"net": "flatten", "opt": "<script>", "seed": "-1"},
    ],
)
def test_a_forged_truncated_or_enormous_link_gets_one_message_and_the_default_network(query):
    at = page("build")
    at.query_params.update(query)
    at.run()
    assert not at.exception and not at.error
    (warning,) = at.warning
    assert as_read(warning.value).startswith("This link cannot be read: ")
    assert "](" not in warning.value.replace("\\]\\(", ""), "shown literally"
    assert layers_of(at) == PRESETS[DEFAULT_PRESET]
    assert at.query_params["net"] == "flatten,dense:784:relu,dense:100:relu"


def test_the_json_download_parses_back_and_the_code_downloads_as_python(monkeypatch):
    offered = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def kept(self, path_or_data, mimetype, kind, filename=None):
        offered[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", kept)
    at = page("build").run()
    at.selectbox(key="build_preset").select("LeNet-5").run()
    assert parse_json(offered["my-network.json"]) == PRESETS["LeNet-5"]
    assert json.loads(offered["my-network.json"])[0]["kind"] == "conv"
    code = offered["my-network.py"]
    assert (code.decode() if isinstance(code, bytes) else code).strip() == keras_code(at).strip()


def test_a_small_dataset_offers_only_the_training_set_sizes_it_has(data_dir, sample):
    """On 500 training images, "1,000" or "3,000" would train on all of them under another name."""
    write_npz(
        data_dir / "small.npz",
        x_train=sample.x_train[:500],
        y_train=sample.y_train[:500],
        x_test=sample.x_test[:50],
        y_test=sample.y_test[:50],
    )
    at = page("build")
    at.query_params.update(net="flatten", n="3000")
    at.run()
    at.text_input(key="dataset_path").input("small.npz").run()
    assert not at.exception and not at.error
    size = at.select_slider(key="build_train_size")
    assert (size.options, size.value) == (["100", "300", "all"], 0)
    assert at.query_params["n"] == "all"
    at.selectbox(key="build_vary").select("train_size").run()
    assert at.multiselect(key="build_vary_values_train_size").options == ["100", "300", "all"]
    assert "One epoch through 500 training images" in shown(at)


def test_variants_need_two_values_and_name_what_they_vary():
    at = page("build").run()
    at.selectbox(key="build_vary").select("learning_rate").run()
    assert at.button(key="build_train").disabled
    at.multiselect(key="build_vary_values_learning_rate").select(0.001).select(0.01).run()
    assert not at.button(key="build_train").disabled
    assert at.button(key="build_train").label == "Train 2 variants"


def test_a_visitor_may_choose_as_many_variants_as_the_server_lets_them_train_at_once(monkeypatch):
    at = page("build").run()
    at.selectbox(key="build_vary").select("learning_rate").run()
    assert at.multiselect(key="build_vary_values_learning_rate").proto.max_selections == 4
    monkeypatch.setenv("MNIST_APP_JOBS_PER_VISITOR", "2")
    at.run()
    assert at.multiselect(key="build_vary_values_learning_rate").proto.max_selections == 2


def test_a_designed_network_trains_and_variants_open_compare(models_dir):
    """Two variants of a tiny CNN on 300 sample images, one epoch: saved, compared, in use."""
    at = app_page("build")
    at.query_params.update(net="conv:4:3:relu,pool:2,flatten,dropout:0.2", n="300", epochs="1")
    at.run()
    at.selectbox(key="build_vary").select(f"layer{4}_rate").run()
    at.multiselect(key="build_vary_values_layer4_rate").select(0.0).select(0.5).run()
    at.button(key="build_train").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    wait_until(at, lambda at: any("Saved as" in s.value for s in at.success))
    assert not at.exception
    table = at.dataframe[1].value
    assert table["network"].tolist() == ["dropout 0 at layer 4", "dropout 0.5 at layer 4"]
    assert sorted(p.stem for p in models_dir.glob("*.keras")) == sorted(table["saved as"])
    assert at.session_state["compare_next"] == table["saved as"].tolist()
    labels = [link.proto.label for link in at.get("page_link")]
    assert "Compare them side by side" in labels and "Look inside it" in labels


def test_stop_ends_the_training_and_keeps_the_model_as_trained_so_far(models_dir):
    at = page("build")
    at.query_params.update(net="flatten,dense:16:relu", n="100", epochs="200")
    at.run()
    at.button(key="build_train").click().run()
    assert not at.exception
    at.button(key="build_stop").click().run()
    wait_until(at, lambda at: any("stopped early" in w.value for w in at.warning), timeout=120)
    assert not at.exception
    (saved,) = [p.stem for p in models_dir.glob("*.keras")]
    assert saved.startswith("my-network-on-mnist-sample-")
    assert at.button(key="build_train"), "Train is back"
