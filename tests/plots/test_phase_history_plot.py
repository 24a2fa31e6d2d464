"""Phase-history figure, GIF animation and the capture schedule (m1-spec §5.4)."""

import numpy as np
import pytest
from PIL import Image, ImageSequence

from colorlatent.callbacks.phase_history import capture_steps
from colorlatent.plots.animation import GifAnimation
from colorlatent.plots.blit import Blitter
from colorlatent.plots.phase_history import Capture, PhaseHistoryFigure, plot_phase_history, thumbnail_indices

COLORS = np.array([[1.0, 0, 0], [0, 0, 1.0], [0, 1.0, 0]])  # red, blue, green


def test_thumbnails_follow_the_geometric_progression_of_the_spec():
    # m1-spec §5.4: for 51 snapshots every 200 steps, steps 0, 200, 800, 1400, ..., 8000
    assert [200 * i for i in thumbnail_indices(51)] == [0, 200, 800, 1400, 2000, 2800, 3800, 5000, 6400, 8000]
    assert thumbnail_indices(1) == [0]
    assert thumbnail_indices(3) == [0, 1, 2]  # few captures: every one is shown
    assert thumbnail_indices(0) == []


def test_capture_steps():
    # ex 1.7: every 200 steps of 10,001; 10,000 is dropped for the final capture at 10,001 -> 51 captures
    steps = capture_steps(10_001, "even", every_n_steps=200)
    assert steps[:3] == [0, 200, 400] and steps[-1] == 9800 and len(steps) + 1 == 51
    assert capture_steps(10_001, "even", captures=51) == steps  # same spacing from the count
    # ex 1.5's phases start at 0, 3000 and 10000: capture where each later phase starts
    assert capture_steps(20_001, "phases", phase_starts=[0, 3000, 10_000]) == [0, 3000, 10_000]
    assert capture_steps(20_001, "auto", captures=3, phase_starts=[0, 3000, 10_000]) == [0, 3000, 10_000]
    assert capture_steps(100, "auto", captures=5, phase_starts=[0]) == [0, 25, 50, 75]  # one phase: even
    assert capture_steps(100, "both", every_n_steps=40, phase_starts=[0, 30]) == [0, 30, 40, 80]
    assert capture_steps(100, "even", every_n_steps=30) == [0, 30, 60]  # 90 is closer than 15 to the end


def test_figure_draws_the_last_capture_large_in_true_colors():
    latents = np.array([[0.0, 1.0, 0.2, 0.3], [0.0, -1.0, 0.4, 0.5], [1.0, 0.0, 0.6, 0.7]])
    captures = [Capture(0, latents * 0.1, "A"), Capture(10, latents * 0.5, "A"), Capture(20, latents, "B")]
    figure = PhaseHistoryFigure(COLORS, latent_dim=4)
    figure.update(captures)
    assert [panel.dims for panel in figure.panels] == [(1, 0), (1, 2), (1, 3)]
    assert figure.title.get_text() == "Latent space at step 20 · B"
    # [1, 0] panel: x = dim 1, y = dim 0; each point keeps its own color
    hue_plane = figure.panels[0].points
    drawn = {tuple(np.round(xy, 6)): tuple(c[:3]) for xy, c in zip(hue_plane.get_offsets(), hue_plane.get_facecolors())}
    assert drawn == {(1.0, 0.0): (1.0, 0.0, 0.0), (-1.0, 0.0): (0.0, 0.0, 1.0), (0.0, 1.0): (0.0, 1.0, 0.0)}
    visible = [thumb for thumb in figure.thumbs if thumb.ax.get_visible()]
    assert [thumb.ax.get_title() for thumb in visible] == ["step 0\nA", "step 10\nA", "step 20\nB"]
    assert len(figure.thumbs) == 10  # the empty slots stay, so the layout never moves


def test_dark_variant_and_bad_slices():
    captures = [Capture(0, np.zeros((3, 2)))]
    assert plot_phase_history(captures, COLORS, dark=True).get_facecolor()[:3] == pytest.approx((17 / 255,) * 3)
    with pytest.raises(ValueError, match=r"slice \[1, 3\] is out of range for latent_dim 2"):
        plot_phase_history(captures, COLORS, slices=[(1, 3)])
    with pytest.raises(ValueError, match="at least one capture"):
        plot_phase_history([], COLORS)


def test_animation_has_one_frame_per_capture_and_holds_the_last(tmp_path):
    animation = GifAnimation(fps=10, hold=1.5)
    for shade in (0, 128, 255):
        animation.add(Image.new("RGB", (40, 20), (shade, 0, 0)))
    gif = Image.open(animation.save(tmp_path / "a.gif"))
    assert [frame.info["duration"] for frame in ImageSequence.Iterator(gif)] == [100, 100, 1500]
    assert [frame.convert("RGB").getpixel((5, 5)) for frame in ImageSequence.Iterator(gif)] == \
        [(0, 0, 0), (128, 0, 0), (255, 0, 0)]
    with pytest.raises(ValueError, match="no frames"):
        GifAnimation().save(tmp_path / "b.gif")


def test_blitting_gives_the_same_pixels_as_a_full_draw():
    latents = np.array([[0.0, 1.0], [0.0, -1.0], [1.0, 0.0]])
    figure = PhaseHistoryFigure(COLORS, latent_dim=2)
    blitter = Blitter(figure.figure, figure.moving_artists, dpi=40)
    figure.update([Capture(0, latents * 0.5, "A"), Capture(1, latents, "A")], limit=1.5)
    first = np.asarray(blitter.render(background=True))
    # same view, same number of thumbnails: only points and labels change, so the cached background holds
    figure.update([Capture(0, latents * 0.2, "A"), Capture(7, -latents, "B")], limit=1.5)
    fast = np.asarray(blitter.render())
    full = np.asarray(blitter.render(background=True))
    # identical up to antialiasing where points overlap the dashed axes (measured: 0.07 % of pixels)
    assert (fast != full).any(axis=2).mean() < 0.001
    assert (fast != first).any(axis=2).mean() > 0.0012  # while the moved points change 0.18 %


def test_long_phase_names_are_cut_to_fit_above_a_thumbnail():
    assert Capture(200, np.zeros((1, 2)), "Primary, secondary, tertiary").label() == "step 200\nPrimary, second…"
    assert Capture(0, np.zeros((1, 2)), "Bright hues only").label() == "step 0\nBright hues only"  # 16 chars fit
    assert Capture(5, np.zeros((1, 2))).label() == "step 5"
