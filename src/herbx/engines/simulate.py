"""The ``simulate`` engine: plausible records and failures, decided by a seed.

Every outcome is a pure function of the seed and the specimen (its sha256, else its file
name, plus its sequence), never of call order, so a run gives the same records with one
worker or eight. Used by the demo, CI smoke runs and benchmarks.

Example::

    from herbx.engines.simulate import SimulatedEngine

    engine = SimulatedEngine(success_rate=0.9, seed=7, break_at=300)
    result = engine.extract(image)     # image: herbx.engines.base.SpecimenImage
    result.terms["scientificName"]     # e.g. 'Carex aquatilis Wahlenb.'
"""

from __future__ import annotations

import inspect
import random
import time
from collections.abc import Mapping, Sequence
from typing import Any

from herbx.config import ConfigError
from herbx.dwc.dates import MONTH_ABBREVIATIONS, MONTH_NAMES, ROMAN_MONTHS
from herbx.engines.base import (
    EngineError,
    EngineResult,
    SpecimenImage,
    SystemicEngineError,
    TransientEngineError,
)

#: Failure reasons the simulator can produce, and what each looks like to the runner.
FAIL_REASONS: dict[str, str] = {
    "empty_record": "returns a record with every term empty",
    "placeholder": "returns placeholder values (catalogNumber 000000, 'unknown')",
    "partial_record": "returns a record without a scientific name",
    "engine_error": "raises EngineError",
    "timeout": "raises TransientEngineError(reason='timeout')",
}

_NAMES: tuple[tuple[str, str, str], ...] = (
    ("Carex aquatilis", "Wahlenb.", "Cyperaceae"),
    ("Carex nigra", "(L.) Reichard", "Cyperaceae"),
    ("Salix glauca", "L.", "Salicaceae"),
    ("Salix arctica", "Pall.", "Salicaceae"),
    ("Poa alpina", "L.", "Poaceae"),
    ("Poa pratensis", "L.", "Poaceae"),
    ("Juncus balticus", "Willd.", "Juncaceae"),
    ("Ranunculus repens", "L.", "Ranunculaceae"),
    ("Potentilla anserina", "L.", "Rosaceae"),
    ("Artemisia frigida", "Willd.", "Asteraceae"),
    ("Achillea millefolium", "L.", "Asteraceae"),
    ("Solidago canadensis", "L.", "Asteraceae"),
    ("Symphyotrichum ericoides", "(L.) G.L.Nesom", "Asteraceae"),
    ("Elymus trachycaulus", "(Link) Gould ex Shinners", "Poaceae"),
    ("Bouteloua gracilis", "(Kunth) Lag. ex Griffiths", "Poaceae"),
    ("Opuntia polyacantha", "Haw.", "Cactaceae"),
    ("Shepherdia argentea", "(Pursh) Nutt.", "Elaeagnaceae"),
    ("Amelanchier alnifolia", "(Nutt.) Nutt. ex M.Roem.", "Rosaceae"),
    ("Rosa acicularis", "Lindl.", "Rosaceae"),
    ("Populus tremuloides", "Michx.", "Salicaceae"),
    ("Betula papyrifera", "Marshall", "Betulaceae"),
    ("Typha latifolia", "L.", "Typhaceae"),
    ("Equisetum arvense", "L.", "Equisetaceae"),
    ("Puccinia graminis", "Pers.", "Pucciniaceae"),
)

_PLACES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Canada", "Saskatchewan", ("Saskatoon", "Prince Albert", "Moose Jaw", "Swift Current")),
    ("Canada", "Alberta", ("Medicine Hat", "Lethbridge", "Red Deer", "Jasper")),
    ("Canada", "Manitoba", ("Brandon", "Churchill", "The Pas", "Dauphin")),
    ("Canada", "Ontario", ("Ottawa", "Kingston", "Thunder Bay", "Sudbury")),
    ("United States", "Montana", ("Havre", "Glasgow", "Billings", "Bozeman")),
    ("United States", "North Dakota", ("Minot", "Williston", "Fargo", "Bismarck")),
)

_LOCALITY_FORMS = (
    "{d} km N of {town}",
    "{d} mi. SW of {town}, roadside ditch",
    "near {town}, along the river bank",
    "{town}, experimental farm, plot {d}",
    "{d} km E of {town} on Hwy {h}",
)

_HABITATS = (
    "moist meadow",
    "sandy prairie",
    "aspen parkland",
    "saline slough margin",
    "dry gravelly hillside",
    "black spruce bog",
    "cultivated field",
)

_COLLECTORS = (
    "A. J. Breitung",
    "W. P. Fraser",
    "J. H. Hudson",
    "R. C. Russell",
    "B. Boivin",
    "G. F. Ledingham",
    "V. L. Harms",
    "D. R. Hooper",
)

_INSTITUTIONS = ("DAO", "SASK", "CAN", "UBC", "MT", "NDA")


def _verbatim_date(rng: random.Random) -> str:
    year, month, day = rng.randint(1905, 1995), rng.randint(1, 12), rng.randint(1, 28)
    forms = (
        f"{day} {MONTH_NAMES[month - 1]} {year}",
        f"{year}-{month:02d}-{day:02d}",
        f"{ROMAN_MONTHS[month - 1]}.{day}.{year}",
        f"{day}.{ROMAN_MONTHS[month - 1]}.{year}",
        f"{MONTH_ABBREVIATIONS[month - 1]} {day}, {year}",
        f"{MONTH_ABBREVIATIONS[month - 1]} {day} {year}",
    )
    return rng.choice(forms)


def _coordinates(rng: random.Random) -> tuple[str, str, str]:
    lat, lon = rng.uniform(49.0, 57.0), -rng.uniform(97.0, 114.0)
    if rng.random() < 0.5:
        text = f"{lat:.4f}, {lon:.4f}"
    else:
        lat_d, lat_m = int(lat), int((lat % 1) * 60)
        lon_d, lon_m = int(-lon), int((-lon % 1) * 60)
        text = f"{lat_d}°{lat_m:02d}'N {lon_d}°{lon_m:02d}'W"
    return f"{lat:.4f}", f"{lon:.4f}", text


def plausible_record(rng: random.Random) -> tuple[dict[str, str], str]:
    """A realistic set of raw label terms and the label text they were "read" from."""
    name, author, family = rng.choice(_NAMES)
    country, province, towns = rng.choice(_PLACES)
    town = rng.choice(towns)
    institution = rng.choice(_INSTITUTIONS)
    terms: dict[str, str] = {
        "catalogNumber": f"{institution} {rng.randint(1000, 999999):06d}",
        "institutionCode": institution,
        "scientificName": f"{name} {author}",
        "scientificNameAuthorship": author,
        "family": family,
        "recordedBy": rng.choice(_COLLECTORS),
        "recordNumber": str(rng.randint(1, 9999)),
        "eventDate": _verbatim_date(rng),
        "country": country,
        "stateProvince": province,
        "locality": rng.choice(_LOCALITY_FORMS).format(
            d=rng.randint(2, 40), town=town, h=rng.randint(1, 60)
        ),
        "habitat": rng.choice(_HABITATS),
    }
    if rng.random() < 0.4:
        lat, lon, verbatim = _coordinates(rng)
        terms.update(decimalLatitude=lat, decimalLongitude=lon, verbatimCoordinates=verbatim)
    if rng.random() < 0.3:
        metres = rng.randint(200, 1500)
        terms["verbatimElevation"] = (
            f"{metres} m" if rng.random() < 0.5 else f"{round(metres / 0.3048, -1):.0f} ft."
        )
    if rng.random() < 0.3:
        terms["identifiedBy"] = rng.choice(_COLLECTORS)
        terms["dateIdentified"] = str(rng.randint(1950, 2020))
    label = "\n".join(
        [
            f"PLANTS OF {province.upper()}, {country.upper()}",
            terms["scientificName"],
            terms["locality"],
            f"Habitat: {terms['habitat']}",
            f"Coll. {terms['recordedBy']}  No. {terms['recordNumber']}",
            f"Date: {terms['eventDate']}",
            terms["catalogNumber"],
        ]
    )
    return terms, label


class SimulatedEngine:
    """Seeded, deterministic stand-in for a real engine.

    ``success_rate`` is the chance a specimen gets a plausible record; from sequence
    ``break_at`` on (when set) it drops to ``broken_success_rate``. A failed specimen
    fails with one of ``fail_reasons`` (see :data:`FAIL_REASONS`), picked by the seed.
    From sequence ``systemic_at`` on, every call raises :class:`SystemicEngineError`
    (a revoked key). ``transient_rate`` is the chance a call first hits transient errors:
    each is reported through ``image.on_retry``; after ``max_retries`` of them the specimen
    fails with :class:`TransientEngineError`. Latency is ``latency_ms`` plus normal
    jitter, slept for real.
    """

    name = "simulate"
    kind = "io"

    def __init__(
        self,
        success_rate: float = 0.92,
        seed: int = 0,
        latency_ms: float = 0.0,
        latency_jitter_ms: float = 0.0,
        break_at: int | None = None,
        broken_success_rate: float = 0.0,
        fail_reasons: Sequence[str] = ("empty_record", "placeholder", "engine_error"),
        systemic_at: int | None = None,
        transient_rate: float = 0.0,
        max_retries: int = 2,
    ) -> None:
        for label, rate in (
            ("success_rate", success_rate),
            ("broken_success_rate", broken_success_rate),
            ("transient_rate", transient_rate),
        ):
            if not 0.0 <= float(rate) <= 1.0:
                raise ConfigError(f"engines.simulate.{label}: must be within 0..1, not {rate}")
        if latency_ms < 0 or latency_jitter_ms < 0:
            raise ConfigError("engines.simulate.latency_ms/latency_jitter_ms: must be >= 0")
        if isinstance(fail_reasons, str):
            fail_reasons = (fail_reasons,)
        if not fail_reasons:
            raise ConfigError("engines.simulate.fail_reasons: needs at least one reason")
        unknown = [r for r in fail_reasons if r not in FAIL_REASONS]
        if unknown:
            raise ConfigError(
                f"engines.simulate.fail_reasons: unknown reason {unknown[0]!r}; "
                f"choose from {', '.join(FAIL_REASONS)}"
            )
        if max_retries < 0:
            raise ConfigError("engines.simulate.max_retries: must be >= 0")
        self.success_rate = float(success_rate)
        self.seed = int(seed)
        self.latency_ms = float(latency_ms)
        self.latency_jitter_ms = float(latency_jitter_ms)
        # 0 means "off" so the TOML file (which has no null) can say so.
        self.break_at = int(break_at) if break_at else None
        self.broken_success_rate = float(broken_success_rate)
        self.fail_reasons = tuple(fail_reasons)
        self.systemic_at = int(systemic_at) if systemic_at else None
        self.transient_rate = float(transient_rate)
        self.max_retries = int(max_retries)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> SimulatedEngine:
        """Build from an ``[engines.simulate]`` config section; unknown keys are an error."""
        allowed = set(inspect.signature(cls).parameters)
        for key in settings:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                raise ConfigError(f"engines.simulate: unknown setting {key!r}; known: {known}")
        try:
            return cls(**dict(settings))
        except (TypeError, ValueError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(f"engines.simulate: {exc}") from None

    def settings(self) -> dict[str, Any]:
        """Every parameter; together with the seed they decide every outcome."""
        return {
            "success_rate": self.success_rate,
            "seed": self.seed,
            "latency_ms": self.latency_ms,
            "latency_jitter_ms": self.latency_jitter_ms,
            "break_at": self.break_at,
            "broken_success_rate": self.broken_success_rate,
            "fail_reasons": list(self.fail_reasons),
            "systemic_at": self.systemic_at,
            "transient_rate": self.transient_rate,
            "max_retries": self.max_retries,
        }

    def _rng(self, image: SpecimenImage) -> random.Random:
        # A str seed is hashed with SHA-512 by random.Random: stable across processes,
        # independent of PYTHONHASHSEED and of the order specimens are handed out.
        key = image.sha256 or image.path.name
        return random.Random(f"herbx-simulate:{self.seed}:{key}:{image.sequence or 0}")

    def success_rate_at(self, sequence: int | None) -> float:
        """The success rate that applies to the specimen at ``sequence``."""
        if self.break_at is not None and sequence is not None and sequence >= self.break_at:
            return self.broken_success_rate
        return self.success_rate

    def extract(self, image: SpecimenImage) -> EngineResult:
        """Sleep the simulated latency, then succeed or fail as the seed decides."""
        rng = self._rng(image)
        # Draw every random number up front, in a fixed order, so changing one knob
        # (e.g. latency) never reshuffles the outcomes of the others.
        latency_draw = rng.gauss(0.0, 1.0)
        transient_draw, transient_attempts = rng.random(), rng.randint(1, self.max_retries + 1)
        outcome_draw = rng.random()
        reason = rng.choice(self.fail_reasons)
        terms, label = plausible_record(rng)
        confidence = {term: round(rng.uniform(0.7, 0.99), 2) for term in terms}

        delay_ms = max(0.0, self.latency_ms + self.latency_jitter_ms * latency_draw)
        if delay_ms:
            time.sleep(delay_ms / 1000.0)

        seq = image.sequence
        if self.systemic_at is not None and seq is not None and seq >= self.systemic_at:
            raise SystemicEngineError(
                f"simulated systemic failure from specimen {self.systemic_at} on "
                "(as if the API key were revoked): fix engines.simulate.systemic_at"
            )
        retries = 0
        if transient_draw < self.transient_rate:
            for attempt in range(1, transient_attempts + 1):
                if attempt > self.max_retries:
                    raise TransientEngineError(
                        f"simulated rate limit: gave up after {attempt} attempts",
                        retry_after=None,
                    )
                if image.on_retry is not None:
                    image.on_retry(
                        {
                            "attempt": attempt,
                            "max_attempts": self.max_retries + 1,
                            "delay_s": 0.0,
                            "error": "simulated HTTP 429 Too Many Requests",
                            "status_code": 429,
                        }
                    )
                retries += 1

        if outcome_draw < self.success_rate_at(seq):
            return EngineResult(
                terms=terms,
                confidence=confidence,
                raw_text=label,
                model="simulate",
                retries=retries,
                extra={"simulated_outcome": "ok"},
            )
        return self._failure(reason, retries)

    def _failure(self, reason: str, retries: int) -> EngineResult:
        extra = {"simulated_outcome": reason}
        if reason == "engine_error":
            raise EngineError("simulated engine error: the model returned nothing usable")
        if reason == "timeout":
            raise TransientEngineError("simulated timeout after 120 s", reason="timeout")
        if reason == "placeholder":
            terms = {"catalogNumber": "000000", "scientificName": "unknown", "recordedBy": "n/a"}
            return EngineResult(
                terms=terms, raw_text="", model="simulate", retries=retries, extra=extra
            )
        if reason == "partial_record":
            terms = {"country": "Canada", "habitat": "meadow"}
            return EngineResult(
                terms=terms,
                raw_text="Canada meadow",
                model="simulate",
                retries=retries,
                extra=extra,
            )
        # empty_record
        return EngineResult(terms={}, raw_text="", model="simulate", retries=retries, extra=extra)

    def close(self) -> None:
        """Nothing to release."""
