"""aae in quick mode: too short for what the full run shows (codes matching the prior, both
autoencoders beating the mean image), but the adversary already pulls the codes towards the
prior without wrecking reconstruction, and the discriminator is far from perfect."""
import brique.experiments as experiments

PRIOR_WITHIN_2 = 0.8647  # P(|z| < 2) for z ~ N(0, I) in 2-D: 1 - exp(-2)


def test_aae_quick(tmp_path):
    m = experiments.run("aae", quick=True, out=str(tmp_path))
    adv, plain = m["adversarial"], m["plain"]
    assert abs(adv["within_2"] - PRIOR_WITHIN_2) < abs(plain["within_2"] - PRIOR_WITHIN_2)
    assert plain["error"] < m["mean_image_error"] and adv["error"] < 1.2 * m["mean_image_error"]
    assert adv["d_accuracy"] < 0.9
    assert (tmp_path / "aae" / "codes.png").exists()
