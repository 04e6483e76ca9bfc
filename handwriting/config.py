"""The handwriting `features:` and `augment:` config sections."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from suite.domain import StrictModel


class HandwritingFeatures(StrictModel):
    # "points": one vector per resampled point; "bezier": one per fitted cubic Bezier curve (Carbune et al.
    # 2020), a few per character instead of many points
    kind: Literal["points", "bezier"] = "points"
    spacing: float = 0.25  # arc-length resampling step, in line heights (0.05 gives ~30 points per character)
    deskew: bool = True  # rotate so the least-squares line through the ink is horizontal
    deslant: bool = False  # shear so the down-strokes stand upright (writers' slants differ; handwriting/features.py: slant)
    time_delta: bool = False  # add the time since the previous point (seconds, clipped), if the file has times
    bezier_tolerance: float = 0.04  # max fit error of a Bezier curve, in line heights (kind: bezier)
    bezier_max_points: int = 24  # a curve spans at most this many resampled points


class HandwritingAugment(StrictModel):
    prob: float = 0.9  # chance of applying the random affine transform to a training sample
    scale_x: tuple[float, float] = (0.8, 1.2)  # horizontal stretch relative to height (aspect ratio)
    shear: float = 0.35  # slant change: x += shear * U(-1, 1) * y
    rotate_deg: float = 4.0  # rotation, degrees, uniform in +-rotate_deg
    jitter: float = 0.01  # Gaussian noise on each resampled point, in line heights
    point_dropout: float = 0.05  # chance of dropping each resampled point (stroke ends are kept)
    # each stroke (a word in cursive, a letter in print) also gets its own scale and slant in 1 +- stroke_warp /
    # +- stroke_warp about its centre and a vertical shift of +- stroke_warp / 2 line heights: writers differ
    # word by word, not only line by line (0: off)
    stroke_warp: float = Field(0.0, ge=0.0, le=0.5)
    # a smooth random displacement of the page (elastic distortion, Simard et al. 2003), this many line heights
    # at its strongest point, waves about elastic_wavelength line heights long: letters change their shapes (loops,
    # heights, widths), which line- and stroke-level transforms leave alone (0: off)
    elastic: float = Field(0.0, ge=0.0, le=0.5)
    elastic_wavelength: float = Field(1.5, gt=0.0)
    # SpecAugment's time masks on the ink: this many spans of the feature sequence (resampled points or Bezier
    # curves) set to zero (for points: no movement, on the centre line, pen down), each up to time_mask_width
    # steps and at most a tenth of the line; the model must read the masked letters from their context (0: off)
    time_masks: int = Field(0, ge=0)
    time_mask_width: int = Field(8, ge=1)
    # chance that a training line's words are put in a random other order, ink and transcript alike (words
    # told apart by the gaps in the ink; lines where they cannot be are left as written): a small corpus'
    # sentences are not memorised as sentences (0: off; handwriting/word_order.py)
    word_order: float = Field(0.0, ge=0.0, le=1.0)
    # chance that a training line whose words the ink shows apart is cut after a random word and joined to the
    # last words of another line by the same writer (the manifest's "writer"; any line where it is missing), ink
    # and transcript alike: new neighbours for every word in one writer's hand (0: off; handwriting/splice.py)
    splice: float = Field(0.0, ge=0.0, le=1.0)
    # every gap between the words of a training line whose words the ink shows apart is scaled by one factor drawn
    # uniformly from this range (after splicing and re-ordering): writers space their words differently, and narrow
    # gaps teach the model to find a word boundary from the letters too ((1, 1): off; handwriting/word_gaps.py)
    word_gaps: tuple[float, float] = (1.0, 1.0)
    # chance that a training line's ink is replaced by its own transcript written in a single-stroke font (print
    # and joined script faces, each letter sized and placed a little differently), before the augmentation above:
    # letter shapes no writer of the corpus uses (0: off; handwriting/font_ink.py)
    font_ink: float = Field(0.0, ge=0.0, le=1.0)

    @field_validator("word_gaps")
    @classmethod
    def _factor_range(cls, bounds: tuple[float, float]) -> tuple[float, float]:
        lo, hi = bounds
        if not 0 <= lo <= hi:
            raise ValueError(f"[{lo:g}, {hi:g}] is not a range of factors: 0 <= low <= high")
        return bounds
