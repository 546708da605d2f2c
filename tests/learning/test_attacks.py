"""FGSM and PGD on the lab's MLP: the change's size, the smallest ε, and accuracy against ε."""

import numpy as np
import pytest

from mnist_app.learning.attacks import EPSILON_TOLERANCE, Attacker, AttackError, accuracy_curve


@pytest.fixture(scope="module")
def attacker(trained_mlp):
    return Attacker(trained_mlp.model)


@pytest.fixture(scope="module")
def digit(sample):
    return sample.x_test[0].astype(np.float32) / 255


def test_fgsm_moves_every_pixel_away_from_the_bounds_by_exactly_epsilon(attacker):
    # Mid-grey pixels are 0.5 from either bound: nothing is clipped, so the change is ε·sign(gradient).
    grey = np.full((28, 28), 0.5, np.float32)
    for epsilon in (0.01, 0.1, 0.3):
        change = attacker.attack(grey, epsilon).change
        moved = np.abs(change[change != 0])
        assert moved.size > 700, "the gradient reaches nearly every pixel"
        np.testing.assert_allclose(moved, epsilon, atol=1e-6)


def test_fgsm_on_a_digit_changes_it_by_at_most_epsilon_and_keeps_a_picture(attacker, digit):
    attack = attacker.attack(digit, 0.1)
    assert np.abs(attack.change).max() == pytest.approx(0.1, abs=1e-6), "an infinity norm of ε"
    assert attack.image.min() >= 0 and attack.image.max() <= 1
    away = (digit >= 0.1 + 1e-3) & (digit <= 0.9 - 1e-3) & (attack.change != 0)
    np.testing.assert_allclose(np.abs(attack.change[away]), 0.1, atol=1e-6)
    assert attacker.attack(digit, 0.0).change.max() == 0


def test_pgd_stays_within_epsilon_and_fools_at_least_as_often_as_fgsm(attacker, sample):
    images = sample.x_test[:64].astype(np.float32) / 255
    labels = sample.y_test[:64]
    fgsm = attacker.perturbed(images, labels, 0.08, "fgsm")
    pgd = attacker.perturbed(images, labels, 0.08, "pgd")
    assert np.abs(pgd - images).max() <= 0.08 + 1e-6 and pgd.min() >= 0 and pgd.max() <= 1
    right = {
        name: (attacker.probabilities(x).argmax(axis=1) == labels).sum()
        for name, x in [("f", fgsm), ("p", pgd)]
    }
    assert right["p"] <= right["f"]


@pytest.mark.parametrize(("method", "target"), [("fgsm", None), ("pgd", None), ("pgd", 3)])
def test_the_smallest_epsilon_fools_the_model_and_one_tolerance_less_does_not(
    attacker, digit, method, target
):
    found = attacker.smallest_epsilon(digit, method, target)
    assert found.epsilon is not None and found.tolerance == EPSILON_TOLERANCE
    assert found.attack.fooled and found.attack.epsilon == found.epsilon
    assert attacker.attack(digit, found.epsilon, method, target).fooled
    below = attacker.attack(digit, found.epsilon - found.tolerance, method, target)
    assert not below.fooled
    if target is not None:
        assert found.attack.after == target


def test_a_target_the_model_already_reads_needs_no_noise(attacker, digit):
    answer = int(attacker.probabilities(digit[None])[0].argmax())
    found = attacker.smallest_epsilon(digit, "fgsm", answer)
    assert found.epsilon == 0 and found.attack.fooled and found.attack.after == answer


def test_no_epsilon_is_found_when_even_the_largest_does_not_fool_it(attacker, digit):
    found = attacker.smallest_epsilon(digit, most=2 * EPSILON_TOLERANCE)
    assert found.epsilon is None and not found.attack.fooled


def test_accuracy_against_epsilon_starts_at_the_clean_accuracy_and_falls(attacker, trained_mlp, sample):
    from mnist_app.learning.evaluation import evaluate

    fractions = []
    curve = accuracy_curve(attacker, sample.x_test[:300], sample.y_test[:300], on_progress=fractions.append)
    clean = evaluate(trained_mlp.model, sample.x_test[:300], sample.y_test[:300]).accuracy
    assert curve.n == 300 and curve.settings[0] == 0 and curve.at(0.0) == pytest.approx(clean)
    assert curve.accuracy[-1] < 0.2 < clean
    assert fractions[-1] == 1.0 and fractions == sorted(fractions)
    pgd = accuracy_curve(attacker, sample.x_test[:100], sample.y_test[:100], "pgd", epsilons=(0.0, 0.1))
    assert pgd.accuracy[1] < pgd.accuracy[0]


def test_what_an_attack_cannot_be_asked(attacker, digit):
    with pytest.raises(AttackError, match="magic"):
        attacker.attack(digit, 0.1, "magic")
    with pytest.raises(AttackError, match="12"):
        attacker.attack(digit, 0.1, target=12)
    with pytest.raises(AttackError, match="ε"):
        attacker.attack(digit, float("nan"))
    with pytest.raises(AttackError, match="shape"):
        attacker.attack(digit[:20], 0.1)


def test_the_logits_give_the_model_s_own_probabilities(trained_mlp, sample):
    from mnist_app.learning.calibration import softmax
    from mnist_app.learning.evaluation import predict_probabilities
    from mnist_app.learning.logits import Logits

    logits, probabilities = Logits(trained_mlp.model).of(sample.x_test[:50])
    np.testing.assert_allclose(
        softmax(logits), predict_probabilities(trained_mlp.model, sample.x_test[:50]), atol=1e-5
    )
    np.testing.assert_allclose(probabilities, softmax(logits), atol=1e-5)
