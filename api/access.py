"""The role × route matrix: who may call what. Deny by default.

:func:`api.auth.authorize` refuses any route missing here, and the tests walk the app's routes
against this table both ways, so a new route cannot ship without a deliberate rule. Object-level
checks (which offer, which profile) come on top, in :mod:`matcher.tenancy`.
"""

from __future__ import annotations

from typing import Final

from matcher.access.accounts import Role

A, R, S, P = Role.ADMIN, Role.RECRUITER, Role.SEEKER, Role.PARTNER


class _Public:
    """Marker of a route open to anonymous callers."""

    def __repr__(self) -> str:
        return "PUBLIC"


PUBLIC: Final = _Public()
Rule = frozenset[Role] | _Public


def roles(*allowed: Role) -> frozenset[Role]:
    return frozenset(allowed)


ACCESS: dict[tuple[str, str], Rule] = {
    # public: health, reference data for forms, sign-in
    ("GET", "/health"): PUBLIC,
    # operations: Prometheus metrics (the separate metrics port needs no token: keep it inside the cluster)
    ("GET", "/metrics"): roles(A),
    ("GET", "/reference/communes"): PUBLIC,
    ("GET", "/reference/job-titles"): PUBLIC,
    ("GET", "/reference/skills"): PUBLIC,
    ("POST", "/auth/token"): PUBLIC,
    ("POST", "/auth/signup"): PUBLIC,
    ("POST", "/auth/verify"): PUBLIC,
    ("POST", "/auth/password-reset"): PUBLIC,
    ("POST", "/auth/password-reset/confirm"): PUBLIC,
    # everyone signed in
    ("GET", "/me"): roles(A, R, S),
    ("POST", "/auth/password"): roles(A, R, S),
    ("GET", "/employers"): roles(A, R, S, P),
    # offers: recruiters and partners within their employers; seekers read published ones
    ("GET", "/offers"): roles(A, R, S, P),
    ("POST", "/offers"): roles(A, R, P),
    ("GET", "/offers/{offer_id}"): roles(A, R, S, P),
    ("GET", "/offers/{offer_id}/jobposting"): roles(A, R, S, P),
    ("PUT", "/offers/{offer_id}"): roles(A, R),
    ("DELETE", "/offers/{offer_id}"): roles(A, R),
    ("POST", "/offers/{offer_id}/publish"): roles(A, R),
    ("POST", "/offers/{offer_id}/close"): roles(A, R),
    # shortlists and decisions: recruiters only (a decision is a person's act, made by HR)
    ("POST", "/offers/{offer_id}/shortlists"): roles(R),
    ("GET", "/offers/{offer_id}/shortlists"): roles(R),
    ("GET", "/offers/{offer_id}/shortlists/{shortlist_id}"): roles(R),
    ("GET", "/offers/{offer_id}/shortlists/{shortlist_id}/candidates/{candidate_id}/statement"): roles(R),
    ("POST", "/offers/{offer_id}/feedback"): roles(R),
    ("GET", "/offers/{offer_id}/feedback"): roles(A, R),
    # candidates as others see them; direct search and saved searches by recruiters
    ("GET", "/candidates"): roles(A),
    ("POST", "/candidates"): roles(A),
    ("POST", "/candidates/search"): roles(R),
    ("GET", "/candidates/{candidate_id}"): roles(A, R),
    ("PUT", "/candidates/{candidate_id}"): roles(A),
    ("DELETE", "/candidates/{candidate_id}"): roles(A),
    ("GET", "/candidates/{candidate_id}/matches"): roles(A),
    ("GET", "/searches"): roles(R),
    ("POST", "/searches"): roles(R),
    ("GET", "/searches/{search_id}/results"): roles(R),
    ("DELETE", "/searches/{search_id}"): roles(R),
    # a job seeker's own space
    ("GET", "/me/profile"): roles(S),
    ("POST", "/me/profile"): roles(S),
    ("PUT", "/me/profile"): roles(S),
    ("POST", "/me/profile/link"): roles(S),
    ("GET", "/me/matches"): roles(S),
    ("GET", "/me/explanations"): roles(S),
    ("GET", "/me/alerts"): roles(S),
    ("POST", "/me/alerts"): roles(S),
    ("DELETE", "/me/alerts/{alert_id}"): roles(S),
    ("GET", "/me/export"): roles(S),
    ("POST", "/me/cv"): roles(S),
    ("GET", "/me/cv/file"): roles(S),
    ("DELETE", "/me/cv/file"): roles(S),
    ("DELETE", "/me"): roles(S),
    # partner agencies
    ("GET", "/partners/me"): roles(P),
    ("PUT", "/partners/me/offers"): roles(P),
    ("GET", "/partners/me/offers/changes"): roles(P),
    ("PUT", "/partners/me/candidates"): roles(P),
    ("GET", "/partners/me/candidates/changes"): roles(P),
    ("GET", "/partners/me/candidates/{external_id}"): roles(P),
    ("POST", "/partners/me/candidates/{external_id}/link-code"): roles(P),
    # administration (employer settings also by that employer's recruiters)
    ("POST", "/employers"): roles(A),
    ("GET", "/employers/{employer_id}/settings"): roles(A, R),
    ("PATCH", "/employers/{employer_id}/settings"): roles(A, R),
    ("GET", "/employers/{employer_id}/deliveries"): roles(A, R),
    ("GET", "/audit/verify"): roles(A),
    ("GET", "/accounts"): roles(A),
    ("POST", "/accounts"): roles(A),
    ("POST", "/accounts/{account_id}/disable"): roles(A),
    ("POST", "/accounts/{account_id}/enable"): roles(A),
    ("GET", "/partners"): roles(A),
    ("POST", "/partners"): roles(A),
    ("GET", "/partners/{partner_id}/keys"): roles(A),
    ("POST", "/partners/{partner_id}/keys"): roles(A),
    ("POST", "/partners/{partner_id}/keys/{key_id}/revoke"): roles(A),
    ("POST", "/partners/{partner_id}/keys/{key_id}/rotate"): roles(A),
    # direct approach: recruiters approach and follow the pipeline; candidates answer their own (object checks
    # in matcher.approach); the signed e-mail link is its own credential (opaque id, signed, expiring)
    ("POST", "/offers/{offer_id}/approaches"): roles(R),
    ("GET", "/offers/{offer_id}/approaches"): roles(R),
    ("GET", "/approaches/{approach_id}"): roles(R),
    ("GET", "/offers/{offer_id}/approach-template"): roles(R),
    ("PUT", "/offers/{offer_id}/approach-template"): roles(R),
    ("GET", "/offers/{offer_id}/pipeline"): roles(R),
    ("POST", "/offers/{offer_id}/pipeline/{candidate_id}"): roles(R),
    ("GET", "/offers/{offer_id}/approach-measures"): roles(A, R),
    ("GET", "/employers/{employer_id}/approach-measures"): roles(A, R),
    ("GET", "/me/approaches"): roles(S),
    ("GET", "/me/approaches/{approach_id}"): roles(S),
    ("POST", "/me/approaches/{approach_id}/answer"): roles(S),
    ("DELETE", "/me/approaches/{approach_id}/contact"): roles(S),
    ("GET", "/me/approach-preferences"): roles(S),
    ("PUT", "/me/approach-preferences"): roles(S),
    ("POST", "/me/interests"): roles(S),
    ("GET", "/me/interests"): roles(S),
    ("GET", "/approach-answers/{token}"): PUBLIC,
    ("POST", "/approach-answers/{token}"): PUBLIC,
    # pages (HTML over the session cookie; every form posted carries the session's CSRF token)
    ("GET", "/"): PUBLIC,
    ("GET", "/emplois/{offer_id}"): PUBLIC,
    ("GET", "/sitemap.xml"): PUBLIC,
    ("GET", "/modele"): PUBLIC,
    ("GET", "/modele/technique"): PUBLIC,
    ("GET", "/connexion"): PUBLIC,
    ("POST", "/connexion"): PUBLIC,
    ("POST", "/deconnexion"): PUBLIC,
    ("GET", "/inscription"): PUBLIC,
    ("POST", "/inscription"): PUBLIC,
    ("GET", "/inscription/verifier"): PUBLIC,
    ("POST", "/inscription/verifier"): PUBLIC,
    ("GET", "/mot-de-passe/oublie"): PUBLIC,
    ("POST", "/mot-de-passe/oublie"): PUBLIC,
    ("GET", "/mot-de-passe/nouveau"): PUBLIC,
    ("POST", "/mot-de-passe/nouveau"): PUBLIC,
    ("GET", "/recruteur/offres"): roles(R),
    ("GET", "/offres/{offer_id}"): roles(R),
    ("POST", "/offres/{offer_id}/preselection"): roles(R),
    ("POST", "/offres/{offer_id}/decisions"): roles(R),
    ("POST", "/offres/{offer_id}/metier"): roles(R),
    ("GET", "/recruteur/candidats"): roles(R),
    ("GET", "/recruteur/webhooks"): roles(R),
    ("GET", "/candidat/profil"): roles(S),
    ("POST", "/candidat/profil"): roles(S),
    ("GET", "/candidat/cv"): roles(S),
    ("POST", "/candidat/cv"): roles(S),
    ("POST", "/candidat/cv/enregistrer"): roles(S),
    ("GET", "/candidat/offres"): roles(S),
    ("GET", "/candidat/alertes"): roles(S),
    ("POST", "/candidat/alertes"): roles(S),
    ("POST", "/candidat/alertes/{alert_id}/suppression"): roles(S),
    ("GET", "/candidat/donnees"): roles(S),
    ("GET", "/candidat/donnees/export"): roles(S),
    ("GET", "/candidat/effacement"): roles(S),
    ("POST", "/candidat/effacement"): roles(S),
    ("GET", "/offres/{offer_id}/approches/nouvelle"): roles(R),
    ("GET", "/recruteur/approche"): roles(R),
    ("POST", "/offres/{offer_id}/approches"): roles(R),
    ("POST", "/offres/{offer_id}/modele-approche"): roles(R),
    ("GET", "/offres/{offer_id}/vivier"): roles(R),
    ("POST", "/offres/{offer_id}/vivier/{candidate_id}"): roles(R),
    ("GET", "/candidat/approches"): roles(S),
    ("POST", "/candidat/approches/{approach_id}/reponse"): roles(S),
    ("POST", "/candidat/approches/{approach_id}/retrait"): roles(S),
    ("POST", "/candidat/approches/preferences"): roles(S),
    ("POST", "/candidat/offres/{offer_id}/interet"): roles(S),
    ("GET", "/approches/reponse/{token}"): PUBLIC,
    ("POST", "/approches/reponse/{token}"): PUBLIC,
    ("GET", "/admin/employeurs"): roles(A),
    ("POST", "/admin/employeurs"): roles(A),
    ("GET", "/admin/employeurs/{employer_id}"): roles(A),
    ("POST", "/admin/employeurs/{employer_id}"): roles(A),
    ("GET", "/admin/comptes"): roles(A),
    ("POST", "/admin/comptes"): roles(A),
    ("POST", "/admin/comptes/{account_id}/desactivation"): roles(A),
    ("POST", "/admin/comptes/{account_id}/activation"): roles(A),
    ("GET", "/admin/partenaires"): roles(A),
    ("POST", "/admin/partenaires"): roles(A),
    ("GET", "/admin/partenaires/{partner_id}"): roles(A),
    ("POST", "/admin/partenaires/{partner_id}/cles"): roles(A),
    ("POST", "/admin/partenaires/{partner_id}/cles/{key_id}/revocation"): roles(A),
    ("POST", "/admin/partenaires/{partner_id}/cles/{key_id}/rotation"): roles(A),
}
