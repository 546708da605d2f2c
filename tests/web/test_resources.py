"""What sessions share through st.cache_resource: one copy, re-read when the file changes."""

import numpy as np

from mnist_app.learning.architectures import build_model
from mnist_app.learning.model_store import ModelStore
from mnist_app.web import resources


def test_cached_model_is_shared_and_re_read_after_a_re_save(models_dir):
    store = ModelStore()
    first, second = build_model("mlp"), build_model("mlp")
    second.layers[-1].bias.assign(np.full(10, 5.0, np.float32))
    store.save(first, "shared", {"version": 1})
    loaded = resources.model(store.get("shared"))
    assert resources.model(store.get("shared")) is loaded, "every session gets the same object"
    store.save(second, "shared", {"version": 2})
    reloaded = resources.model(store.get("shared"))
    assert reloaded is not loaded
    assert np.all(reloaded.layers[-1].bias.numpy() == 5.0)


def test_dataset_is_one_read_only_copy():
    data = resources.dataset("mnist-sample")
    assert resources.dataset("mnist-sample") is data
    assert not data.x_train.flags.writeable and data.x_train.dtype == np.uint8
