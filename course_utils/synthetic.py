"""The seeded generator of the course's Happy House set: drawings of people at a door.

The original course photographed real people; those photographs cannot be
redistributed, and no permissively licensed set of real photographs of people smiling
or not was found, so the course ships drawings made here instead, rebuilt bit for bit
from a seed (``data/README.md`` says how they differ from photographs, and what a model
trained on them does with a real face). SIGNS, the other picture set, is real
photographs (``data/signs/``); its generator is gone.

**Happy House** (:func:`happy_image`): a person at the front door, smiling (1) or not
(0). Skin tone, hair, face shape, head position, scale and tilt, lighting, clothing,
the house and the sky vary independently of the label; only the mouth decides it.

Every image is drawn from its own random stream, ``default_rng([seed, split, index])``,
on a 2x supersampled canvas and averaged down to 64x64x3 ``uint8`` (anti-aliasing).
Geometry uses only arithmetic, square roots and comparisons on float64 grids, so the
pixels do not depend on a drawing library's version.
"""

from __future__ import annotations

import math

import numpy as np

SIZE = 64  # output height and width
SUPER = 2  # supersampling factor

HAPPY_CLASSES = np.array([0, 1], dtype=np.int64)  # 0: not smiling, 1: smiling

# the image counts of the original course files
HAPPY_COUNTS = {"train": 600, "test": 150}
SPLIT_IDS = {"train": 0, "test": 1}
FACE_SCALE = 1.3  # faces fill the frame, as in the original photographs
DEFAULT_SEED = 2017  # the year the course's data sets were published

# Skin tones from light to dark (sRGB), interpolated continuously.
SKIN_TONES = np.array(
    [
        [255, 224, 196],
        [241, 194, 160],
        [224, 172, 128],
        [198, 134, 94],
        [141, 85, 54],
        [90, 56, 37],
    ],
    dtype=np.float64,
)
HAIR_COLOURS = np.array(
    [[20, 16, 14], [60, 40, 25], [110, 70, 40], [200, 160, 90], [150, 60, 30], [150, 150, 150]],
    dtype=np.float64,
)


class Canvas:
    """A supersampled RGB canvas; coordinates are in output pixels, (x right, y down).

    ``image``: (SIZE*SUPER, SIZE*SUPER, 3) float64 in [0, 255].
    """

    def __init__(self, colour):
        n = SIZE * SUPER
        self.image = np.empty((n, n, 3), dtype=np.float64)
        self.image[:] = colour
        centres = (np.arange(n, dtype=np.float64) + 0.5) / SUPER
        self.ys, self.xs = centres[:, None], centres[None, :]

    # -- coverage masks: boolean arrays over a bounding box (rows, cols slices)
    def _box(self, x0, y0, x1, y1):
        n = SIZE * SUPER
        c0 = min(max(int(math.floor(x0 * SUPER)) - 1, 0), n)
        c1 = min(max(int(math.ceil(x1 * SUPER)) + 1, 0), n)
        r0 = min(max(int(math.floor(y0 * SUPER)) - 1, 0), n)
        r1 = min(max(int(math.ceil(y1 * SUPER)) + 1, 0), n)
        return slice(r0, r1), slice(c0, c1)

    def paint(self, box, mask, colour, alpha=1.0):
        """Blend ``colour`` into the pixels of ``box`` where ``mask`` is true."""
        rows, cols = box
        region = self.image[rows, cols]
        blend = np.asarray(colour, dtype=np.float64)
        m = mask[..., None]
        region[:] = np.where(m, region * (1 - alpha) + blend * alpha, region)

    def ellipse_mask(self, cx, cy, rx, ry, angle=0.0, box=None):
        """Pixels inside an ellipse with radii (rx, ry), rotated by ``angle`` radians.

        ``box`` evaluates it over a given bounding box (to combine two masks).
        """
        r = max(rx, ry)
        box = box or self._box(cx - r, cy - r, cx + r, cy + r)
        dx, dy = self.xs[:, box[1]] - cx, self.ys[box[0], :] - cy
        c, s = math.cos(angle), math.sin(angle)
        u, v = c * dx + s * dy, -s * dx + c * dy
        return box, (u / rx) ** 2 + (v / ry) ** 2 <= 1.0

    def capsule_mask(self, x0, y0, x1, y1, radius):
        """Pixels within ``radius`` of the segment (x0, y0)-(x1, y1): a finger, a limb."""
        box = self._box(
            min(x0, x1) - radius, min(y0, y1) - radius, max(x0, x1) + radius, max(y0, y1) + radius
        )
        px, py = self.xs[:, box[1]] - x0, self.ys[box[0], :] - y0
        dx, dy = x1 - x0, y1 - y0
        length2 = dx * dx + dy * dy
        t = np.clip((px * dx + py * dy) / length2, 0.0, 1.0) if length2 > 0 else 0.0
        ex, ey = px - t * dx, py - t * dy
        return box, ex * ex + ey * ey <= radius * radius

    def polygon_mask(self, points):
        """Pixels inside a convex polygon given counter-clockwise or clockwise."""
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        box = self._box(min(xs), min(ys), max(xs), max(ys))
        gx, gy = self.xs[:, box[1]], self.ys[box[0], :]
        sign = None
        inside = np.ones((box[0].stop - box[0].start, box[1].stop - box[1].start), dtype=bool)
        area = sum(
            xs[i] * ys[(i + 1) % len(xs)] - xs[(i + 1) % len(xs)] * ys[i] for i in range(len(xs))
        )
        sign = 1.0 if area > 0 else -1.0
        for i in range(len(points)):
            (ax, ay), (bx, by) = points[i], points[(i + 1) % len(points)]
            inside &= sign * ((bx - ax) * (gy - ay) - (by - ay) * (gx - ax)) >= 0
        return box, inside

    def rect(self, x0, y0, x1, y1, colour, alpha=1.0):
        self.paint(*self.polygon_mask([(x0, y0), (x1, y0), (x1, y1), (x0, y1)]), colour, alpha)

    def ellipse(self, cx, cy, rx, ry, colour, angle=0.0, alpha=1.0):
        self.paint(*self.ellipse_mask(cx, cy, rx, ry, angle), colour, alpha)

    def capsule(self, x0, y0, x1, y1, radius, colour, alpha=1.0):
        self.paint(*self.capsule_mask(x0, y0, x1, y1, radius), colour, alpha)

    # -- whole-image effects
    def vertical_gradient(self, top, bottom, y0=0.0, y1=float(SIZE)):
        t = np.clip((self.ys - y0) / max(y1 - y0, 1e-9), 0, 1)[..., None]
        rows = (self.ys[:, 0] >= y0) & (self.ys[:, 0] < y1)
        grad = np.asarray(top) * (1 - t) + np.asarray(bottom) * t
        self.image[rows] = np.broadcast_to(grad, self.image.shape)[rows]

    def light(self, gain, slope, direction):
        """Global lighting: ``gain`` times a linear ramp of ``slope`` along ``direction``."""
        c, s = math.cos(direction), math.sin(direction)
        ramp = ((self.xs - SIZE / 2) * c + (self.ys - SIZE / 2) * s) / SIZE
        self.image *= (gain * (1.0 + slope * ramp))[..., None]

    def finish(self, rng, noise_sigma, blur_passes=0):
        """Average down to SIZE x SIZE, blur, add sensor noise; return uint8 (SIZE, SIZE, 3)."""
        n = SIZE
        img = self.image.reshape(n, SUPER, n, SUPER, 3).mean(axis=(1, 3))
        for _ in range(blur_passes):  # separable [1, 2, 1] / 4, edges repeated
            padded = np.pad(img, ((1, 1), (0, 0), (0, 0)), mode="edge")
            img = (padded[:-2] + 2 * padded[1:-1] + padded[2:]) / 4
            padded = np.pad(img, ((0, 0), (1, 1), (0, 0)), mode="edge")
            img = (padded[:, :-2] + 2 * padded[:, 1:-1] + padded[:, 2:]) / 4
        if noise_sigma > 0:
            img = img + rng.normal(0.0, noise_sigma, size=img.shape)
        return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def _mix(palette, t):
    """Colour at position ``t`` in [0, 1] along a palette of RGB rows."""
    pos = t * (len(palette) - 1)
    i = min(int(pos), len(palette) - 2)
    f = pos - i
    return palette[i] * (1 - f) + palette[i + 1] * f


def _jitter(rng, colour, amount):
    return np.clip(np.asarray(colour) + rng.uniform(-amount, amount, 3), 0, 255)


def _to_image(cx, cy, scale, angle):
    """Map face- or hand-local coordinates (u, v) to image coordinates."""
    c, s = math.cos(angle), math.sin(angle)

    def f(u, v):
        return cx + scale * (c * u - s * v), cy + scale * (s * u + c * v)

    return f


# ------------------------------------------------------------------------ Happy House
def happy_image(rng: np.random.Generator, smiling: bool) -> np.ndarray:
    """Draw one Happy House picture. Returns (64, 64, 3) uint8.

    Everything but the mouth is drawn from distributions that do not depend on
    ``smiling``; the mouth is a smile (corners up, closed or open with teeth) when
    ``smiling`` and a straight line, a frown or a small open 'o' otherwise.
    """
    sky = _jitter(rng, [120, 170, 230], 15)
    canvas = Canvas(sky)
    canvas.vertical_gradient(sky * 0.8, np.clip(sky * 1.15, 0, 255), 0, 20)

    # the house: a wall, the front door behind the person, a window, the ground
    wall_top = rng.uniform(-4, 14)
    canvas.rect(-1, wall_top, SIZE + 1, SIZE + 1, _jitter(rng, [200, 185, 160], 15))
    head_x = SIZE / 2 + rng.uniform(-2, 2)
    door_w = rng.uniform(24, 36)
    door_x = head_x + rng.uniform(-6, 6)
    door = _jitter(rng, [120, 70, 40], 15)  # the same front door, in every light
    canvas.rect(
        door_x - door_w / 2, wall_top + rng.uniform(2, 8), door_x + door_w / 2, SIZE + 1, door
    )
    knob_x = door_x + door_w / 2 - 3 if rng.random() < 0.5 else door_x - door_w / 2 + 3
    canvas.ellipse(knob_x, rng.uniform(36, 44), 1.2, 1.2, [210, 180, 60])
    if rng.random() < 0.6:
        wx = rng.choice([rng.uniform(-2, 8), rng.uniform(56, 66)])
        canvas.rect(wx - 6, wall_top + 8, wx + 6, wall_top + 20, _jitter(rng, [170, 200, 230], 25))
    horizon = rng.uniform(50, 60)
    canvas.rect(-1, horizon, SIZE + 1, SIZE + 1, _jitter(rng, [110, 150, 80], 35))

    # the person
    scale = FACE_SCALE * rng.uniform(0.92, 1.08)
    tilt = math.radians(rng.uniform(-6, 6))
    head_y = rng.uniform(28, 29)
    skin = _jitter(rng, _mix(SKIN_TONES, rng.random()), 8)
    hair = _jitter(rng, HAIR_COLOURS[rng.integers(len(HAIR_COLOURS))], 12)
    clothes = rng.uniform(20, 235, 3)
    width = rng.uniform(0.82, 1.08)  # face shape: narrow to round
    rx, ry = 10.5 * width, 12.5
    to_img = _to_image(head_x, head_y, scale, tilt)
    style = rng.integers(4)  # 0 short, 1 long, 2 curly, 3 bald

    if style == 1:  # long hair falls behind the shoulders
        canvas.ellipse(*to_img(0, 4), (rx + 3) * scale, (ry + 7) * scale, hair, angle=tilt)
    # body and neck (the body stays upright, the head tilts)
    bx, by = head_x, head_y + 26 * scale
    canvas.ellipse(bx, by, 19 * scale * rng.uniform(0.9, 1.15), 14 * scale, clothes)
    canvas.capsule(*to_img(0, 8), *to_img(0, 15), 4.2 * scale, skin * 0.92)
    for side in (-1, 1):  # ears
        canvas.ellipse(*to_img(side * rx, 0.5), 2.2 * scale, 3.2 * scale, skin * 0.95, tilt)
    canvas.ellipse(*to_img(0, 0), rx * scale, ry * scale, skin, angle=tilt)

    # hair on top of the head
    if style in (0, 1):
        box, cap = canvas.ellipse_mask(*to_img(0, -2.5), (rx + 1) * scale, (ry - 1) * scale, tilt)
        fx, fy = to_img(0, -ry * rng.uniform(0.35, 0.55))
        nx, ny = -math.sin(tilt), math.cos(tilt)  # face 'down' direction
        below = (canvas.xs[:, box[1]] - fx) * nx + (canvas.ys[box[0], :] - fy) * ny
        canvas.paint(box, cap & (below <= 0), hair)
    elif style == 2:
        for k in range(9):
            a = math.pi * (0.05 + 0.9 * k / 8)
            canvas.ellipse(
                *to_img(-math.cos(a) * rx, -math.sin(a) * ry * 0.95),
                3.6 * scale,
                3.6 * scale,
                hair,
            )

    # eyes, brows, nose: independent of the label
    eye_y, eye_dx = rng.uniform(-2.5, -0.5), rx * rng.uniform(0.36, 0.44)
    eye_r = rng.uniform(1.1, 1.6)
    for side in (-1, 1):
        canvas.ellipse(
            *to_img(side * eye_dx, eye_y),
            eye_r * 1.5 * scale,
            eye_r * 1.2 * scale,
            [245, 245, 245],
            tilt,
        )
        canvas.ellipse(*to_img(side * eye_dx, eye_y), eye_r * scale, eye_r * scale, [35, 25, 20])
        lift = rng.uniform(-0.6, 0.6)
        canvas.capsule(
            *to_img(side * (eye_dx - 2.2), eye_y - 3.2 + lift * side * 0.3),
            *to_img(side * (eye_dx + 2.2), eye_y - 3.4 - lift * side * 0.3),
            0.7 * scale,
            hair * 0.8,
        )
    if rng.random() < 0.2:  # glasses
        for side in (-1, 1):
            box, outer = canvas.ellipse_mask(
                *to_img(side * eye_dx, eye_y), 3.4 * scale, 3.0 * scale, tilt
            )
            _, inner = canvas.ellipse_mask(
                *to_img(side * eye_dx, eye_y), 2.7 * scale, 2.3 * scale, tilt, box=box
            )
            canvas.paint(box, outer & ~inner, [30, 30, 30])
    canvas.capsule(*to_img(0, 0.5), *to_img(0, 3.5), 1.1 * scale, skin * 0.82)

    # the mouth draws from its own stream, so that everything else in the picture,
    # noise included, is the same whatever the label
    mouth_rng = np.random.default_rng(rng.integers(0, 2**63))
    _mouth(canvas, mouth_rng, to_img, scale, tilt, rx, smiling)

    canvas.light(rng.uniform(0.8, 1.1), rng.uniform(-0.3, 0.3), rng.uniform(0, 2 * math.pi))
    return canvas.finish(rng, noise_sigma=rng.uniform(1, 4), blur_passes=int(rng.integers(0, 2)))


def _mouth(canvas, rng, to_img, scale, tilt, rx, smiling):
    """The one feature that decides the label."""
    mouth_y = rng.uniform(6.0, 7.0)
    half_w = rx * rng.uniform(0.42, 0.55)
    thick = rng.uniform(0.75, 0.95)
    lips = np.array([140, 50, 50]) * rng.uniform(0.7, 1.1)
    if smiling:
        kind = "open" if rng.random() < 0.5 else "curve"
        bend = rng.uniform(3.0, 4.5)  # the centre sits this far below the corners
    else:
        kind = ["flat", "frown", "o"][rng.integers(3)]
        bend = {"flat": rng.uniform(-0.3, 0.3), "frown": rng.uniform(-2.2, -1.0), "o": 0.0}[kind]
    if kind == "o":
        canvas.ellipse(*to_img(0, mouth_y + 0.5), 1.8 * scale, 2.2 * scale, [70, 20, 25], tilt)
        return
    # the mouth curve v(u) = mouth_y + bend * (1 - (u / half_w)^2), drawn as short capsules
    steps = 10
    pts = [
        to_img(u, mouth_y + bend * (1 - (u / half_w) ** 2))
        for u in np.linspace(-half_w, half_w, steps + 1)
    ]
    if kind == "open":
        # filled between the chord and the curve, teeth along the top
        chord = [to_img(half_w, mouth_y), to_img(-half_w, mouth_y)]
        for a, b in zip(pts[:-1], pts[1:], strict=True):
            canvas.paint(*canvas.polygon_mask([chord[1], chord[0], b, a]), [70, 20, 25])
        canvas.capsule(
            *to_img(-half_w * 0.7, mouth_y + 0.5),
            *to_img(half_w * 0.7, mouth_y + 0.5),
            0.6 * scale,
            [240, 240, 235],
        )
    for a, b in zip(pts[:-1], pts[1:], strict=True):
        canvas.capsule(*a, *b, thick * scale, lips)


# ------------------------------------------------------------------------ data sets
def make_split(name: str, split: str, seed: int = DEFAULT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Draw a whole split of ``name`` (only "happy": SIGNS is real photographs now).

    Returns ``x``: (m, 64, 64, 3) uint8 and ``y``: (m,) int64, classes balanced and
    shuffled by the same seed.
    """
    if name != "happy":
        raise ValueError(
            f"unknown data set {name!r}; only 'happy' is drawn (SIGNS is real photographs, "
            f"built by 'python -m course_utils.datasets build-signs')"
        )
    if split not in SPLIT_IDS:
        raise ValueError(f"unknown split {split!r}; use 'train' or 'test'")
    m = HAPPY_COUNTS[split]
    order = np.random.default_rng([seed, SPLIT_IDS[split], 99]).permutation(m)
    y = (np.arange(m) % 2)[order].astype(np.int64)
    x = np.empty((m, SIZE, SIZE, 3), dtype=np.uint8)
    for i in range(m):
        # stream 0 is Happy's (stream 1 was the drawn SIGNS set's)
        rng = np.random.default_rng([seed, 0, SPLIT_IDS[split], i])
        x[i] = happy_image(rng, bool(y[i]))
    return x, y
