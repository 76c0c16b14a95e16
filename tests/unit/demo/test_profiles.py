from matcher.core.models import Visibility
from matcher.core.settings import REPO_ROOT
from matcher.demo.profiles import Demand, ProfileGenerator
from matcher.reference.geography import Geography
from matcher.reference.taxonomy import CONTEXT, Taxonomy

TAXONOMY = Taxonomy(REPO_ROOT / "data" / "rome")
GEOGRAPHY = Geography(REPO_ROOT / "data" / "geo")


def test_same_seed_same_profiles_and_other_seed_others() -> None:
    a = list(ProfileGenerator(TAXONOMY, GEOGRAPHY, seed=7).profiles(30))
    b = list(ProfileGenerator(TAXONOMY, GEOGRAPHY, seed=7).profiles(30))
    c = list(ProfileGenerator(TAXONOMY, GEOGRAPHY, seed=8).profiles(30))
    assert [p.model_dump() for p, _ in a] == [p.model_dump() for p, _ in b]
    assert [p.model_dump() for p, _ in a] != [p.model_dump() for p, _ in c]


def test_profiles_are_derived_from_their_occupation_sheet() -> None:
    for profile, rome in ProfileGenerator(TAXONOMY, GEOGRAPHY, seed=1).profiles(50):
        own = set(TAXONOMY.skills_of(rome))
        assert profile.desired_occupations == [rome]
        assert TAXONOMY.rome_for_title(profile.title) is not None
        assert sum(s in own for s in profile.skills) >= len(profile.skills) * 0.6
        assert all(GEOGRAPHY.get(c) for c in profile.mobility.communes)
        assert profile.display_name.startswith("Profil ")


def test_profiles_list_skills_never_work_contexts() -> None:
    # A work context ("Travail de nuit", "Fonctionnaire") is a condition of the job; ROME links many to each
    # occupation beside its skills, and a profile that listed them would show them among the person's skills.
    linked = [s for code in TAXONOMY.occupations for s in TAXONOMY.skills_of(code)]
    assert any(TAXONOMY.skills[s].kind == CONTEXT for s in linked)
    profiles = [p for p, _ in ProfileGenerator(TAXONOMY, GEOGRAPHY, seed=1).profiles(300)]
    assert all(TAXONOMY.skills[s].kind != CONTEXT for p in profiles for s in p.skills)
    assert sum(len(p.skills) for p in profiles) / len(profiles) >= 8


def test_demand_concentrates_candidates() -> None:
    generator = ProfileGenerator(TAXONOMY, GEOGRAPHY, seed=3, demand=Demand(["K1903"], ["07019"], share=0.6))
    profiles = list(generator.profiles(400))
    in_demand = sum(rome == "K1903" for _, rome in profiles) / 400
    aubenas = GEOGRAPHY.get("07019")
    assert aubenas is not None
    near = (
        sum(
            GEOGRAPHY.distance_km(aubenas, GEOGRAPHY.get(p.mobility.communes[0])) <= 40  # type: ignore[arg-type]
            for p, _ in profiles
        )
        / 400
    )
    assert 0.5 < in_demand < 0.7 and 0.55 < near < 0.75
    assert 0.8 < sum(p.visibility == Visibility.EMPLOYERS for p, _ in profiles) / 400 < 0.97
