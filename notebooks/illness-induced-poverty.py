# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # How many rural people did illness impoverish? (seed document 003 §1)
#
# The essay on rural medical security [@seed003] estimates the people "facing ruin through illness" as
# 24,149万 households x 3.86% poor x 35% impoverished by illness x 4 persons. This notebook
# reproduces the figure with `healthcover.poverty`, shows where each input comes from, and
# asks how much it moves over the ranges the text itself gives.

# %% tags=["parameters"]
mc_draws = 20_000  # Monte Carlo draws
mc_seed = 7
level = 0.95  # coverage of the uncertainty interval

# %%
import pandas as pd

import healthcover as hc

# %% [markdown]
# ## Inputs and their sources
#
# Every number is quoted from document 003 §1, line 27.

# %%
hc.poverty.sources_table()[["parameter", "scenario", "value", "unit", "line", "quote"]]

# %% [markdown]
# ## The document's estimate, step by step (digest E20)

# %%
hc.poverty.estimate_steps()

# %%
hc.poverty.illness_induced_poor()

# %% [markdown]
# ## Sensitivity to the text's own ranges
#
# The illness-induced share runs from 20.7% to 49.3% across Hao Mo's survey areas, and a
# three-province survey gives 30%; household size is 4.11 or 4.20 by the two sources. The
# author's 4 persons lies below both.

# %%
hc.poverty.sensitivity()[["parameter", "scenario", "value", "estimate", "change"]].round(2)

# %%
hc.poverty.tornado_chart(hc.poverty.tornado())

# %% [markdown]
# ## Uncertainty interval (Monte Carlo)
#
# Illness share triangular on 20.7%-49.3% with mode 35%; household size uniform on
# 4.11-4.20; the other inputs as the text gives them.

# %%
pd.Series(hc.poverty.monte_carlo(mc_draws, seed=mc_seed, level=level)).round(2)

# %% [markdown]
# ## Caveats
#
# The figure is a stock of people living in illness-impoverished poor households, not an
# annual inflow, although the text says "each year" (digest C-05).

# %%
pd.Series(hc.poverty.CAVEATS)
