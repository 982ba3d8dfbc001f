# %% [markdown]
# # $id
#
# Exercice d'exemple créé par `grader new` : remplacez-le par le vôtre. Le code entre
# `# BEGIN SOLUTION` et `# END SOLUTION` est la solution ; l'élève voit à la place
# `# VOTRE CODE ICI` et les lignes `# STUB:` du bloc.

# %%
import numpy as np

# %% [markdown]
# ## Q1. Un vecteur `scores`
#
# Créez `scores`, un tableau NumPy de 5 flottants : les carrés des entiers de 0 à 4.

# %%
# BEGIN SOLUTION
scores = np.arange(5, dtype=np.float64) ** 2
# STUB: scores = None
# END SOLUTION

# %% [markdown]
# ## Q2. La fonction `relu(x)`
#
# Écrivez `relu(x)` qui renvoie `x` où il est positif et 0 ailleurs, pour un tableau de
# n'importe quelle forme.


# %%
def relu(x):
    # BEGIN SOLUTION
    return np.maximum(x, 0)
    # STUB: raise NotImplementedError()
    # END SOLUTION
