# A correct submission written in plain numpy, unlike the reference.
# %%
import numpy as np

rng = np.random.default_rng(7)
batch = rng.random((10, 28, 28), dtype=np.float32)

# %%
normalized = (batch - batch.mean()) / batch.std()

# %%
first_five = batch[0:5, :, :]
centered = batch - batch.mean(axis=0, keepdims=True)
flat = batch.reshape(len(batch), 28 * 28)


# %%
def tensor_stats(t):
    a = np.asarray(t, dtype=np.float64).ravel()
    return np.array([a.min(), a.max(), a.mean(), np.sqrt(((a - a.mean()) ** 2).mean())])  # one array
