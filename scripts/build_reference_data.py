"""Build the compact reference data shipped in ``data/`` from the raw open data in ``../shared/data``.

Run once by a maintainer when the sources change (``uv run python scripts/build_reference_data.py``);
the product itself only reads ``data/``. Output is deterministic: sorted rows, gzip without timestamps.
"""

from __future__ import annotations

import ast
import csv
import gzip
import io
import json
import re
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAW = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
OUT = ROOT / "data"
csv.field_size_limit(10**9)


def read_csv(path: Path, delimiter: str = ",") -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle, delimiter=delimiter)


def write_gz(path: Path, payload: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(payload.encode("utf-8"))


def write_csv(path: Path, header: list[str], rows: Iterable[Iterable[object]]) -> int:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    write_gz(path, buffer.getvalue())
    print(f"{path.relative_to(ROOT)}: {count} rows")
    return count


def build_rome() -> dict[str, str]:
    rome = RAW / "rome"
    domains = {
        r["code_domaine_professionnel"]: r["libelle_domaine_professionnel"]
        for r in read_csv(rome / "unix_domaine_professionnel_v460_utf8.csv")
    }
    definitions: dict[str, list[tuple[int, str]]] = {}
    for r in read_csv(rome / "unix_texte_v460_utf8.csv"):
        if r["libelle_type_texte"] == "definition":
            definitions.setdefault(r["code_rome"], []).append((int(r["position_phrase"]), r["libelle_texte"]))
    occupations = sorted(read_csv(rome / "unix_referentiel_code_rome_v460_utf8.csv"), key=lambda r: r["code_rome"])
    write_csv(
        OUT / "rome" / "occupations.csv.gz",
        ["code", "label", "domain", "domain_label", "definition", "sheet"],
        (
            (
                o["code_rome"],
                o["libelle_rome"],
                o["code_rome"][:3],
                domains.get(o["code_rome"][:3], ""),
                " ".join(t for _, t in sorted(definitions.get(o["code_rome"], []))),
                o["code_rome_parent"] or o["code_rome"],  # ROME 4.0: the sheet ("fiche") the occupation belongs to
            )
            for o in occupations
        ),
    )

    appellations = sorted(
        read_csv(rome / "unix_referentiel_appellation_v460_utf8.csv"), key=lambda r: int(r["code_ogr"])
    )
    write_csv(
        OUT / "rome" / "appellations.csv.gz",
        ["code", "label", "short_label", "rome"],
        (
            (a["code_ogr"], a["libelle_appellation_long"], a["libelle_appellation_court"], a["code_rome"])
            for a in appellations
        ),
    )

    skills: dict[str, tuple[str, str]] = {}
    for r in read_csv(rome / "unix_referentiel_competence_v460_utf8.csv"):
        kind = "savoir_etre" if r["cat_comp"].startswith("Savoir-être") else "savoir_faire"
        skills[r["code_ogr"]] = (r["libelle_competence"], kind)
    for r in read_csv(rome / "unix_referentiel_savoir_v460_utf8.csv"):
        skills[r["code_ogr_savoir"]] = (r["libelle_savoir"], "savoir")
    for r in read_csv(rome / "unix_referentiel_contexte_travail_v460_utf8.csv"):  # conditions of work, not skills
        skills[r["code_ogr"]] = (r["libelle_cont_travail"], "contexte")
    for r in read_csv(rome / "unix_item_v460_utf8.csv"):  # items referenced by occupations but not in any list
        kind = {"1": "savoir_faire", "2": "savoir_etre", "3": "savoir"}.get(r["code_rubrique"], "savoir_faire")
        skills.setdefault(r["code_ogr"], (r["libelle"], kind))
    links = sorted(
        {
            (r["code_rome"], r["code_ogr"], {"Principale": "core", "Émergente": "emerging"}.get(r["coeur_metier"], ""))
            for r in read_csv(rome / "unix_coherence_item_v460_utf8.csv")
            if r["code_ogr"] in skills
        }
    )
    write_csv(
        OUT / "rome" / "skills.csv.gz",
        ["code", "label", "kind"],
        ((code, *skills[code]) for code in sorted(skills, key=int)),
    )
    write_csv(OUT / "rome" / "occupation_skills.csv.gz", ["rome", "skill", "importance"], links)

    mobility = sorted(
        (r["code_rome"], r["code_rome_cible"], int(r["numero_ordre"] or 0))
        for r in read_csv(rome / "unix_rubrique_mobilite_v460_utf8.csv")
    )
    write_csv(OUT / "rome" / "mobility.csv.gz", ["source", "target", "rank"], mobility)
    return {a["code_ogr"]: a["code_rome"] for a in appellations}


def build_esco() -> None:
    rows = sorted(read_csv(RAW / "esco" / "skills_fr.csv"), key=lambda r: r["conceptUri"])
    write_csv(
        OUT / "esco" / "skills.csv.gz",
        ["uri", "label", "alt_labels"],
        ((r["conceptUri"].rsplit("/", 1)[-1], r["preferredLabel"], r["altLabels"]) for r in rows),
    )


def build_geo() -> dict[str, dict[str, str]]:
    rows = [r for r in read_csv(RAW / "geo" / "communes.csv") if r["lat"] and r["lng"]]
    communes = {r["insee_com"]: r for r in rows if r["commune_type"] in ("COM", "ARM")}
    # Paris, Lyon and Marseille only appear as arrondissements: add each city itself, at the
    # population-weighted centre of its arrondissements, so that its INSEE code resolves too.
    cities = {"75056": ("Paris", "75001"), "69123": ("Lyon", "69001"), "13055": ("Marseille", "13001")}
    for code, (name, postal_code) in cities.items():
        parts = [r for r in rows if r["insee_parente"] == code]
        population = sum(int(r["population_2021"] or 0) for r in parts)
        lat = sum(float(r["lat"]) * int(r["population_2021"] or 0) for r in parts) / population
        lng = sum(float(r["lng"]) * int(r["population_2021"] or 0) for r in parts) / population
        communes[code] = {
            **parts[0],
            "insee_com": code,
            "commune": name,
            "code_postal": postal_code,
            "lat": f"{lat:.5f}",
            "lng": f"{lng:.5f}",
            "population_2021": str(population),
        }
    write_csv(
        OUT / "geo" / "communes.csv.gz",
        ["insee", "name", "postal_code", "department", "lat", "lng", "population"],
        (
            (
                c["insee_com"],
                c["commune"],
                c["code_postal"],
                c["insee_dep"],
                c["lat"],
                c["lng"],
                c["population_2021"] or 0,
            )
            for _, c in sorted(communes.items())
        ),
    )
    pairs = sorted(
        {
            (r["Code_postal"], r["Code_commune_INSEE"])
            for r in read_csv(RAW / "geo" / "laposte_hexasmal.csv", delimiter=";")
            if r["Code_commune_INSEE"] in communes
        }
    )
    write_csv(OUT / "geo" / "postal_codes.csv.gz", ["postal_code", "insee"], pairs)
    deps = {r["insee_dep"]: r for r in read_csv(RAW / "geo" / "departements.csv")}
    return {code: {"name": d["departement"], "chef_lieu": d["insee_com_cheflieu"]} for code, d in deps.items()}


def clean_text(text: str) -> str:
    text = text.replace("\\n", "\n").replace("\xa0", " ").replace("\r", "")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def french_date(value: str) -> str | None:
    value = value.strip()
    for fmt in ("%d/%m/%Y", "%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def title_case(label: str) -> str:
    label = re.sub(r"\s*\(?[hH]\s*/\s*[fF]\)?\s*$", "", label.strip())
    return label[:1].upper() + label[1:].lower() if label.isupper() else label


def build_offers(appellation_rome: dict[str, str], departments: dict[str, dict[str, str]]) -> None:
    pep = RAW / "offers" / "place-emploi-public"
    offers: dict[str, dict[str, object]] = {}
    postal: dict[str, str] = {}
    with gzip.open(OUT / "geo" / "postal_codes.csv.gz", "rt", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            postal.setdefault(r["postal_code"], r["insee"])

    # Richest export first: it names the employer, the category and the place.
    for r in read_csv(pep / "test-pep2pe.csv", delimiter=";"):
        match = re.search(r"\b(\d{5})\b", r["Location_JobLocation_"])
        insee = postal.get(match.group(1)) if match else None
        if not insee:
            dep = re.search(r"\((\w{2,3})\)", r["Location_Department_Department_"])
            insee = departments.get(dep.group(1), {}).get("chef_lieu") if dep else None
        contract = r["JobDescription_Contract_"]
        offers["pep-" + r["OfferID"]] = {
            "source": "place-emploi-public",
            "external_ref": r["OfferID"],
            "url": f"https://place-emploi-public.gouv.fr/offre-emploi/{r['Offer_Reference_']}",
            "title": title_case(r["JobDescriptionTranslation_JobTitle_"]),
            "description": clean_text(
                r["JobDescriptionTranslation_Description1_"] + "\n\n" + r["JobDescriptionTranslation_Description2_"]
            ),
            "employer": r["Offer_CustomFieldsTranslation_LongText2_"].strip() or r["Origin_Entity_"],
            "employer_kind": {"Communes": "commune", "Structures de coopération territoriale": "intercommunalite"}.get(
                r["Origin_Entity_"], "etat"
            ),
            "commune_insee": insee,
            "workplace_precision": "commune" if match else "department",
            "rome_code": None,
            "category": r["JobDescription_CustomFields_CustomCodeTableValue1_"] or None,
            "contract_types": (
                ["fonctionnaire", "contractuel"]
                if "titulaires" in contract
                else ["contractuel"]
                if "contractuels" in contract
                else ["fonctionnaire"]
            ),
            "experience_years": 0,
            "required_skills": [],
            "desired_skills": [],
            "published_at": french_date(r["FirstPublicationDate"]),
            "closes_at": french_date(r["SchedulingData_DefaultPublicationEndDate_"]),
        }
    for name in ("last-export-to-pe.csv", "2021-03-03-PEP-PE-curl.csv", "1614957673544-export-pep2pe.csv"):
        for r in read_csv(pep / name, delimiter="|"):
            if not r.get("Par_ref_offre") or not r.get("Description"):
                continue  # a few rows are broken by stray separators in the export
            key = "pep-" + r["Par_ref_offre"]
            dep = (r.get("DEP_cle") or "").strip()
            if key in offers or dep not in departments:
                continue  # without a department the workplace is unknown: no shortlist can respect mobility
            ogr = r.get("Code_OGR") or r.get("Code_ogr") or ""
            title = r.get("Libelle_metier_OGR") or ""
            offers[key] = {
                "source": "place-emploi-public",
                "external_ref": r["Par_ref_offre"],
                "url": r["Par_URL_offre"],
                "title": title_case(title),
                "description": clean_text(r["Description"]),
                "employer": f"Employeurs publics — {departments[dep]['name']} ({dep})",
                "employer_kind": "autre",
                "commune_insee": departments[dep]["chef_lieu"],
                "workplace_precision": "department",
                "rome_code": appellation_rome.get(ogr),
                "category": None,
                "contract_types": ["contractuel"],
                "experience_years": 0,
                "required_skills": [],
                "desired_skills": [],
                "published_at": french_date(r["Off_date_creation"]),
                "closes_at": None,
            }
    for r in read_csv(RAW / "offers" / "france-travail-ardeche" / "offres_emploi.csv", delimiter="|"):
        skills = ast.literal_eval(r["competences"]) if r["competences"] else []
        years = re.match(r"(\d+) An", r["experienceLibelle"])
        months = re.match(r"(\d+) Mois", r["experienceLibelle"])
        offers["ft-" + r["id"]] = {
            "source": "france-travail",
            "external_ref": r["id"],
            "url": r["origineOffre.urlOrigine"],
            "title": title_case(r["intitule"]),
            "description": clean_text(r["description"]),
            "employer": r["entreprise.nom"].strip().title() or "Employeur (Ardèche)",
            "employer_kind": "prive",
            "commune_insee": r["lieuTravail.commune"] or postal.get(r["lieuTravail.codePostal"]),
            "workplace_precision": "commune",
            "rome_code": r["romeCode"] or None,
            "category": None,
            "contract_types": [
                {"CDI": "cdi", "CDD": "cdd", "MIS": "interim", "SAI": "saisonnier"}.get(r["typeContrat"], "cdd")
            ],
            "experience_years": int(years.group(1)) if years else round(int(months.group(1)) / 12, 1) if months else 0,
            "required_skills": [s["code"] for s in skills if s.get("exigence") == "E" and s.get("code")],
            "desired_skills": [s["code"] for s in skills if s.get("exigence") != "E" and s.get("code")],
            "published_at": french_date(r["dateCreation"]),
            "closes_at": None,
        }
    rows = [dict(id=key, **value) for key, value in sorted(offers.items()) if value["commune_insee"] and value["title"]]
    write_gz(
        OUT / "offers" / "offers.jsonl.gz",
        "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows),
    )
    print(
        f"data/offers/offers.jsonl.gz: {len(rows)} offers ({sum(1 for r in rows if r['rome_code'])} with a ROME code)"
    )


def main() -> None:
    appellation_rome = build_rome()
    build_esco()
    departments = build_geo()
    build_offers(appellation_rome, departments)


if __name__ == "__main__":
    main()
