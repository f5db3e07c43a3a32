"""The catalogue of figures: every number s5eval reports over a set of mixtures, defined once.

A :class:`Figure` holds what every renderer needs: the key it has in
``results.json``, ``scores.json``, the CSV files and the leaderboard; a title and
a unit for people; whether higher is better; the decimals it is shown with; and,
for the figures that can be the headline, the ``--metric`` spelling that makes
it so. The terminal table, the HTML pages (results, Codabench, leaderboard), the
Codabench columns and the leaderboard read titles, units and decimals from here,
so a new figure is one entry below plus its computation (``scoring/mixture.py``
per mixture, ``scoring/aggregate.py`` over mixtures).

The definitions of the figures are in ``docs/metrics.md``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..findings import S5InputError, error

DB = "dB"
PERCENT = "%"
COUNT = ""


@dataclass(frozen=True)
class Figure:
    """One reported figure: ``key`` as in results.json, ``title`` and ``unit`` for people.

    ``metric``: the ``--metric`` value that makes this figure the headline
    (``capi-sdri``), None for the others; ``needs_metric``: the ``--metric``
    without which it is not computed at all (CASA-SDR, the SI-SDR variants).
    """

    key: str
    title: str
    unit: str
    higher_is_better: bool = True
    metric: str | None = None
    needs_metric: str | None = None
    description: str = ""

    @property
    def decimals(self) -> int:
        """Decimals shown: 3 for dB, 2 for percentages, 0 for counts."""
        return {DB: 3, PERCENT: 2}.get(self.unit, 0)

    @property
    def label(self) -> str:
        """Title and unit, e.g. ``CAPI-SDRi (dB)``; a count has no unit."""
        return f"{self.title} ({self.unit})" if self.unit else self.title

    @property
    def is_count(self) -> bool:
        return self.unit == COUNT

    def format(self, value: float | int | None, missing: str = "—") -> str:
        """``value`` with this figure's decimals; ``missing`` for None (undefined)."""
        return missing if value is None else f"{value:.{self.decimals}f}"


FIGURES: tuple[Figure, ...] = (
    Figure("capi_sdri", "CAPI-SDRi", DB, metric="capi-sdri",
           description="CAPI-SDRi (DCASE 2026 headline): mean over the non-excluded mixtures of the per-mixture "
                       "class-aware, permutation-invariant SDR improvement with penalties (docs/metrics.md)."),
    Figure("accuracy_mix", "Mixture acc.", PERCENT,
           description="Mixture label accuracy: share of mixtures whose estimated label multiset equals the "
                       "reference one."),
    Figure("accuracy_src", "Source acc.", PERCENT,
           description="Source label accuracy: TP / (TP + FP + FN) summed over the mixtures."),
    Figure("tp_sdri", "TP-only SDRi", DB, description="Mean SDRi of the true-positive pairs only (no penalty entries)."),
    Figure("ca_sdri_2025", "CA-SDRi 2025", DB, metric="ca-sdri",
           description="CA-SDRi, the DCASE 2025 metric (labels as sets), mean over mixtures with targets."),
    Figure("casa_sdr_sb", "CASA-SDR SB", DB, metric="casa-sdr", needs_metric="casa-sdr",
           description="CASA-SDR, source-based averaging (with `--metric casa-sdr` only)."),
    Figure("casa_sdr_eb", "CASA-SDR EB", DB, needs_metric="casa-sdr",
           description="CASA-SDR, event-based averaging (with `--metric casa-sdr` only)."),
    Figure("capi_si_sdri", "CAPI-SI-SDRi", DB, metric="capi-si-sdri", needs_metric="capi-si-sdri",
           description="CAPI-SI-SDRi: CAPI-SDRi with the scale-invariant SI-SDR in place of SDR (with "
                       "`--metric capi-si-sdri` or `ca-si-sdri` only)."),
    Figure("ca_si_sdri_2025", "CA-SI-SDRi 2025", DB, metric="ca-si-sdri", needs_metric="ca-si-sdri",
           description="CA-SI-SDRi: the DCASE 2025 metric with SI-SDR in place of SDR (with "
                       "`--metric capi-si-sdri` or `ca-si-sdri` only)."),
    Figure("count_accuracy", "Count acc.", PERCENT,
           description="Share of mixtures with as many estimates as references."),
    Figure("zero_target_fp_rate", "Zero-target FP rate", PERCENT, higher_is_better=False,
           description="Share of zero-target mixtures with at least one estimate."),
    Figure("penalty_share", "Penalty share", PERCENT, higher_is_better=False,
           description="Share of CAPI-SDRi entries that are penalties (FP or FN) rather than TP pairs."),
    Figure("penalty_mass", "Penalty mass", DB,
           description="Mean over the scored mixtures of the summed penalties divided by the mixture's number "
                       "of entries: how much the penalties move CAPI-SDRi (0 with the default penalties)."),
    Figure("label_accuracy_2025", "Label acc. 2025", PERCENT,
           description="DCASE 2025 label accuracy: share of mixtures with targets whose label sets are equal."),
    Figure("n_mixtures", "Mixtures", COUNT, description="Mixtures in the subset."),
    Figure("n_scored", "Scored mixtures", COUNT,
           description="Mixtures that enter the CAPI-SDRi mean (the others are excluded)."),
    Figure("n_scored_2025", "Scored mixtures 2025", COUNT, description="Mixtures that enter the CA-SDRi 2025 mean."),
    Figure("tp", "TP", COUNT, description="True-positive sources (estimated with a correct class), summed."),
    Figure("fp", "FP", COUNT, higher_is_better=False,
           description="False-positive sources (estimated, not present), summed."),
    Figure("fn", "FN", COUNT, higher_is_better=False,
           description="False-negative sources (present, not estimated), summed."),
    Figure("n_undefined", "Undefined figures", COUNT, higher_is_better=False,
           description="Figures of scores.json that are undefined."),
)

BY_KEY: dict[str, Figure] = {f.key: f for f in FIGURES}

# The headline figures, in --metric order: the --metric spelling -> its results key.
METRICS: tuple[str, ...] = tuple(f.metric for f in FIGURES if f.metric)
METRIC_KEYS: dict[str, str] = {f.metric: f.key for f in FIGURES if f.metric}
# The scale-invariant variants: SI-SDR is computed only with these --metric values.
SI_METRICS: tuple[str, ...] = ("capi-si-sdri", "ca-si-sdri")
DB_KEYS: tuple[str, ...] = tuple(f.key for f in FIGURES if f.unit == DB)

_INTERVAL_ENDS = {"_ci_low": "CI low", "_ci_high": "CI high"}


def figure(key: str) -> Figure:
    """The figure of ``key``; ``<key>_ci_low``/``_ci_high`` are its interval ends (same unit and decimals).

    Raises ``KeyError`` for a key the catalogue does not hold.
    """
    if key in BY_KEY:
        return BY_KEY[key]
    for suffix, words in _INTERVAL_ENDS.items():
        if key.endswith(suffix) and key[: -len(suffix)] in BY_KEY:
            base = BY_KEY[key[: -len(suffix)]]
            return replace(base, key=key, title=f"{base.title} {words}", metric=None)
    raise KeyError(key)


def title(key: str) -> str:
    """The title of ``key`` (the key itself when the catalogue does not hold it)."""
    return figure(key).title if is_figure(key) else key


def label(key: str) -> str:
    """Title and unit of ``key`` (the key itself when the catalogue does not hold it)."""
    return figure(key).label if is_figure(key) else key


def is_figure(key: str) -> bool:
    try:
        figure(key)
    except KeyError:
        return False
    return True


# --- the figures a leaderboard ranks by, and their command-line spellings ------------------------------------

RANKABLE = ("capi_sdri", "accuracy_mix", "accuracy_src", "ca_sdri_2025", "casa_sdr_sb", "capi_si_sdri",
            "ca_si_sdri_2025")

# The --metric spelling of every rankable figure (``score``'s spellings for the dB figures) -> results key.
METRIC_NAMES = {**METRIC_KEYS, "accuracy-mix": "accuracy_mix", "accuracy-src": "accuracy_src"}

# Older spellings, still accepted (not shown in --help): the results keys themselves and a few variants.
METRIC_ALIASES = {**{key: key for key in RANKABLE}, "ca_sdri": "ca_sdri_2025", "casa_sdr": "casa_sdr_sb",
                  "casa-sdr-sb": "casa_sdr_sb", "ca-sdri-2025": "ca_sdri_2025", "ca_si_sdri": "ca_si_sdri_2025"}


def metric_key(name: str) -> str:
    """The results key of a metric given as on the command line (``capi-sdri``) or as a key (``capi_sdri``)."""
    key = METRIC_NAMES.get(name) or METRIC_ALIASES.get(name)
    if key is None:
        raise S5InputError([error("E_USAGE", "", f"cannot rank by {name!r}; choose one of "
                                  f"{', '.join(METRIC_NAMES)}")], exit_code=2)
    return key


def metric_name(key: str) -> str:
    """The command-line spelling of a results key (``capi_sdri`` -> ``capi-sdri``)."""
    return next((name for name, k in METRIC_NAMES.items() if k == key), key)


# the dB figures `compare` compares (besides the accuracies)
COMPARABLE = ("capi_sdri", "ca_sdri_2025", "casa_sdr_sb")
