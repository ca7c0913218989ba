r"""Dask DataFrames through healthcover: from a laptop's Parquet files to a cluster.

Pass Dask DataFrames where pandas DataFrames go; the same functions dispatch here (a cheap
check, :func:`healthcover.checks.is_dask`, so pandas users never import Dask):

* ``scheme.adjudicate(claims, persons)`` and ``scheme.contributions(persons)``
  (:mod:`healthcover.distributed.engine`): lazy Dask DataFrames with the pandas result's
  columns, dtypes and index, equal fen for fen;
* ``hc.household_oop(population, scheme)`` for a population of Dask frames;
* ``protection.catastrophic``, ``impoverishment``, ``unified``, ``concentration_index``,
  ``concentration_indices`` and ``kakwani`` (:mod:`healthcover.distributed.measures`): the
  same numbers as pandas to rounding (1e-12 relative).

Where rows meet:

* **Claims** accumulate per limit owner (a person, or the household where a care type pools
  its annual limit, ``annual_limit_scope: household``) over all of the owner's years, so an
  owner's claims, and for household limits every member of the household in ``persons``, must
  sit in one partition. When the claims' index is ``household_id`` (or ``person_id`` where no
  limit is pooled) with known divisions, as ``dd.read_parquet(path, index="household_id",
  calculate_divisions=True)`` gives, the partitions already are by owner: only the persons are
  cut to the claims' divisions, and claims move nowhere. Otherwise claims and persons are
  shuffled on a hash of the owner (claims without a ``household_id`` column first meet their
  persons on ``person_id`` to learn it).
* **Persons by household** hide a person_id listed in two households from every partition,
  so ``adjudicate``, ``contributions`` and ``household_oop`` check person_id across the
  persons when they are called (:func:`check_unique_persons`): each partition's id range is
  read from the person_id column alone; where ranges overlap, the ids' hashes are compared
  range by range (temporary files on one machine, p2p on a cluster). Memory stays bounded by
  a partition, and no result partition waits on all the persons.
* **Same-day claims** follow ``claim_seq`` (or ``order_by=``), else the claims' index then
  cost, exactly as in pandas: never the partition or row a claim happened to land in.
* **Measures** of household tables are sums (headcounts, gaps, the unified classes), exact
  weighted percentiles (Xu's subsistence line: a histogram pass, then only the values in the
  percentile's bin) and concentration indices, whose weighted fractional rank needs a global
  order: the households are sorted by the ranking variable (``sort_values``: tied values land
  in one partition), each partition reports its weight and centred co-moments, and these are
  combined in partition order (Chan, Golub & LeVeque 1979) into

  .. math:: GC = 2\,\mathrm{cov}_w(h, R) = \frac{2}{W}\sum_p \Big(C_p + W_p
            (\bar h_p - \bar h)(\bar R_p - \bar R)\Big), \qquad
            R_i = \frac{O_p + u_i}{W}

  with :math:`O_p` the weight of earlier partitions and :math:`u_i` the rank's numerator
  within partition :math:`p`.

The engine half imports only the engine (workers need nothing else); the measures half is
loaded when a measure receives a Dask frame.
"""
from __future__ import annotations

from healthcover.distributed.engine import (OWNER_KEYS, adjudicate, bucket, check_unique_persons, contributions,
                                            owner_key)

__all__ = ["adjudicate", "contributions", "owner_key", "bucket", "check_unique_persons", "OWNER_KEYS"]
