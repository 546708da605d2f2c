"""Build in a teacher's challenge, with Streamlit's AppTest: the rules shown and locked, the layer
kinds offered, a design that breaks them refused on the page and, forged past the page, by the
server; the models trained under it carry the challenge and their student's name."""

import pytest

from mnist_app.classroom import challenges, rules
from mnist_app.learning.design_links import DEFAULT_PRESET
from mnist_app.learning.designs import PRESETS, parse_text
from mnist_app.web import build_challenge, page_jobs
from tests.support.classroom import classroom_folder, start_challenge
from tests.support.pages import as_read, page

SMALL = "flatten,dense:16:relu,dropout:0.2"


@pytest.fixture(autouse=True)
def classroom(tmp_path, monkeypatch, models_dir):
    return classroom_folder(tmp_path, monkeypatch)


@pytest.fixture
def challenge():
    return start_challenge(
        train_size=1_000,
        label_noise=0.1,
        max_parameters=20_000,
        max_epochs=3,
        layer_kinds=("dense", "dropout", "flatten"),
    )


@pytest.fixture
def queued(monkeypatch):
    """The jobs the page handed to the trainer's queue (none is trained here)."""
    handed: list = []
    monkeypatch.setattr(page_jobs, "start_together", lambda jobs: handed.extend(jobs) or jobs)
    return handed


def build(query: dict) -> object:
    at = page("build")
    at.query_params.update(query)
    return at.run()


def layers_of(at):
    return tuple(layer for _, layer in at.session_state["build_entries"])


def errors(at) -> list[str]:
    return [as_read(error.value) for error in at.error]


def shown(at) -> str:
    return as_read(" ".join(element.value for element in at.markdown))


def test_a_challenge_link_shows_the_rules_and_locks_the_data_choices(challenge):
    at = build({"challenge": challenge.id})
    assert not at.exception and not at.warning
    assert at.session_state["challenge_id"] == challenge.id
    assert f"Challenge: {challenge.title}" in [as_read(header.value) for header in at.subheader]
    for sentence in rules.describe(challenge.rules):
        assert sentence in shown(at)
    size, noise = at.select_slider(key="build_train_size"), at.select_slider(key="build_label_noise")
    assert (size.value, noise.value) == (1_000, 0.1)
    assert size.disabled and noise.disabled
    epochs = at.number_input(key="build_epochs")
    assert epochs.value == 3 and epochs.max == 3 and not epochs.disabled, "capped, and still the learner's"
    assert at.selectbox(key="build_add_kind").options == ["Dense: every input joined to every unit",
        "Dropout: switch off some inputs at random while training", "Flatten: lay a grid out as one row"]  # fmt: skip
    assert "Train side by side, varying" in [box.label for box in at.selectbox]
    assert not {"the number of training images", "the share of wrong labels"} & set(
        at.selectbox(key="build_vary").options
    ), "the choices the challenge fixes are not varied"
    # The lab's MLP, Build's first network, is far over the budget: said, and Train is off.
    assert layers_of(at) == PRESETS[DEFAULT_PRESET]
    assert "This network holds **694,950 parameters** of the **20,000** allowed" in " ".join(
        element.value for element in at.markdown
    )
    assert any(
        "the network holds 694,950 parameters; this challenge allows at most 20,000" in e for e in errors(at)
    )
    assert "or start from the preset “Logistic regression” (7,850 parameters)" in shown(at), "how to fit"
    assert at.button(key="build_train").disabled


def test_a_design_within_the_rules_may_train_and_the_address_keeps_the_challenge(challenge, queued):
    at = build({"challenge": challenge.id, "net": SMALL})
    assert not at.exception and not errors(at)
    assert layers_of(at) == parse_text(SMALL)
    assert at.select_slider(key="build_train_size").value == 1_000, "locked again after the link"
    assert not at.button(key="build_train").disabled
    at.number_input(key="build_epochs").set_value(2).run()
    assert at.query_params["challenge"] == challenge.id and at.query_params["epochs"] == "2"
    link = next(code.value for code in at.code if code.language == "plaintext")
    assert f"challenge={challenge.id}" in link and "net=flatten,dense:16:relu,dropout:0.2" in link
    at.button(key="build_train").click().run()
    assert not at.exception and not errors(at)
    (job,) = queued
    assert (job.config.train_size, job.config.label_noise, job.config.epochs) == (1_000, 0.1, 2)


def test_a_forged_request_is_refused_by_the_server_and_nothing_is_queued(challenge, queued, monkeypatch):
    """Layers the page never offers (a link's) and values put into its disabled widgets: the page
    says why and keeps Train off (Streamlit drops a press of a disabled button); and with the
    page's own check taken away, the server refuses them all the same."""
    at = build({"challenge": challenge.id, "net": "conv:64:3:relu,flatten,dense:128:relu"})
    at.session_state["build_train_size"] = 300
    at.session_state["build_label_noise"] = 0.5
    at.run()
    broken = [e for e in errors(at) if e.startswith("The challenge's rules: ")]
    assert any("layer 1 is a Conv2D, which this challenge does not allow" in e for e in broken)
    assert any("trains on 1,000 training images, not 300" in e for e in broken)
    assert at.button(key="build_train").disabled
    monkeypatch.setattr(build_challenge, "broken", lambda *args: [])
    at.run()
    assert not at.button(key="build_train").disabled, "the page no longer checks"
    at.button(key="build_train").click().run()
    assert not at.exception
    (refusal,) = [e for e in errors(at) if e.startswith("Cannot start training")]
    assert "this breaks the challenge's rules" in refusal
    for rule in ("Conv2D, which this challenge does not allow", "allows at most 20,000",
                 "trains on 1,000 training images, not 300", "makes 10% of the labels wrong, not 50%"):  # fmt: skip
        assert rule in refusal, rule
    assert not queued and "build_jobs" not in at.session_state


def test_the_server_refuses_runs_past_the_epoch_budget_or_on_another_dataset(challenge, queued, sample):
    """What a page cannot send at all is refused all the same: `page_jobs.start` trusts no page."""
    from mnist_app.errors import UserError
    from mnist_app.learning.training_choices import Choices
    from mnist_app.web.resources import model_store

    config = rules.locked(challenge.rules, Choices()).config(parse_text(SMALL))
    too_long = Choices(epochs=50, train_size=1_000, label_noise=0.1).config(parse_text(SMALL))
    with pytest.raises(UserError, match="50 epochs is more than this challenge's 3"):
        page_jobs.start(sample, [config, too_long], model_store(), challenge=challenge, spec="mnist-sample")
    with pytest.raises(UserError, match="trains on the dataset mnist-sample, not fashion-mnist"):
        page_jobs.start(sample, [config], model_store(), challenge=challenge, spec="fashion-mnist")
    challenges.end()
    with pytest.raises(UserError, match="has ended"):
        page_jobs.start(sample, [config], model_store(), challenge=challenge, spec="mnist-sample")
    assert not queued


def test_a_model_trained_under_a_challenge_says_so_and_whose_it_is(
    challenge, queued, trained_mlp, models_dir
):
    at = page("build")
    at.query_params.update({"challenge": challenge.id, "net": SMALL})
    at.session_state["display_name"] = "Ada *L.*"
    at.run()
    at.button(key="build_train").click().run()
    (job,) = queued

    class Result:
        """What the trainer hands the job at the end: here, a model already trained."""

        model, config, dataset = trained_mlp.model, job.config, "mnist-sample"

        def metadata(self, **extra):
            return trained_mlp.metadata(**extra)

    saved = job.on_result(Result())
    (model,) = [each for each in at_store().list() if each.name == saved]
    assert model.metadata["challenge"] == challenge.id
    assert model.metadata["owner_name"] == "Ada *L.*"
    assert model.metadata["owner"] == at.session_state["visitor_token"]


def at_store():
    from mnist_app.web.resources import model_store

    return model_store()


@pytest.mark.parametrize("ended", [False, True], ids=["unknown", "ended"])
def test_a_link_to_no_running_challenge_says_so_once_and_build_works_as_usual(ended):
    if ended:
        identifier = start_challenge().id
        challenges.end()
    else:
        identifier = "no-such-challenge"
    at = build({"challenge": identifier})
    assert not at.exception and not at.error
    (warning,) = at.warning
    assert as_read(warning.value).startswith("This link names no challenge running now")
    assert "challenge" not in at.query_params and "challenge_id" not in at.session_state
    assert not at.select_slider(key="build_train_size").disabled
    assert not [header for header in at.subheader if header.value.startswith("Challenge")]
    at.run()
    assert not at.warning, "said once"


def test_a_forged_challenge_id_is_never_shown():
    at = build({"challenge": "![x](https:elsewhere.example)" + "a" * 500})
    assert not at.exception
    (warning,) = at.warning
    assert "elsewhere" not in warning.value


def test_a_challenge_ended_while_the_student_builds_is_said_and_its_rules_lifted(challenge):
    at = build({"challenge": challenge.id})
    assert at.select_slider(key="build_train_size").disabled
    challenges.end()
    at.run()
    assert not at.exception
    (warning,) = at.warning
    assert as_read(warning.value) == (
        f"The challenge “{challenge.title}” has ended: Build works as usual again, without its rules."
    )
    assert not at.select_slider(key="build_train_size").disabled
    assert "challenge" not in at.query_params


def test_the_student_may_leave_the_challenge(challenge):
    at = build({"challenge": challenge.id})
    at.button(key="challenge_leave").click().run()
    assert not at.exception and not at.warning
    assert "challenge_id" not in at.session_state and "challenge" not in at.query_params
    assert not at.select_slider(key="build_train_size").disabled


def test_a_challenge_on_another_dataset_becomes_the_dataset_in_use_and_is_locked(data_dir, sample):
    from tests.support.datasets import write_npz

    write_npz(data_dir / "class.npz", x_train=sample.x_train[:2_000], y_train=sample.y_train[:2_000],
              x_test=sample.x_test[:200], y_test=sample.y_test[:200])  # fmt: skip
    challenge = start_challenge(dataset="class.npz", train_size=1_000)
    at = page("build")
    at.session_state["dataset"] = "mnist-sample"
    at.query_params["challenge"] = challenge.id
    at.run()
    assert not at.exception
    assert not [e for e in errors(at) if not e.startswith("The challenge's rules: the network holds")]
    assert any(
        as_read(info.value).startswith("The dataset in use is now **class.npz** (it was mnist-sample)")
        for info in at.info
    )
    path_box = at.sidebar.text_input(key="dataset_path")
    assert path_box.value == "class.npz" and path_box.disabled
    assert at.sidebar.selectbox(key="dataset").disabled
    assert at.select_slider(key="build_train_size").value == 1_000
    assert "One epoch through 1,000 training images" in shown(at)
    at.run()
    assert not at.info or not any("The dataset in use is now" in info.value for info in at.info), "said once"


def test_only_presets_of_the_allowed_kinds_are_offered(challenge):
    at = build({"challenge": challenge.id})
    offered = at.selectbox(key="build_preset").options
    assert "LeNet-5" not in offered and "The app's CNN" not in offered
    assert "Logistic regression" in offered
    assert build_challenge.QUERY_KEY == "challenge"
