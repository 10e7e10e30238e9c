"""Multilingual cue lexicons of the rule classifier (en, fr, de, uk, ru, pl).

Each cue is a regular expression over lower-cased sentence text. They are deliberately stems:
news wording varies ("deploy", "deployment", "redeployed"), and so do case endings in Slavic
languages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator


class Cues:
    """An alternation of cue patterns, matched on lower-cased text, with a fast pre-check.

    Python's `re` cannot skip ahead in an alternation whose branches start with `\b`, so a
    sentence costs ~100 µs per lexicon. The gate is the same alternation without word
    boundaries (a superset that `re` scans ~20× faster); most sentences fail it and never reach
    the exact pattern.
    """

    __slots__ = ("gate", "pattern")

    def __init__(self, *parts: str) -> None:
        source = "|".join(f"(?:{p})" for p in parts)
        self.pattern = re.compile(source)
        self.gate = re.compile(source.replace(r"\b", ""))

    def search(self, text: str) -> re.Match[str] | None:
        """First match in lower-cased `text`, or None."""
        return self.pattern.search(text) if self.gate.search(text) else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """All matches in lower-cased `text`."""
        return self.pattern.finditer(text) if self.gate.search(text) else iter(())


def _rx(*parts: str) -> Cues:
    return Cues(*parts)


UKRAINE = _rx(
    r"\bukrain",
    r"\bkyiv\b",
    r"\bkiev\b",
    r"\bkijów",
    r"\bkijow",
    r"\bkiew\b",
    r"україн",
    r"украин",
    r"\bкиїв",
    r"\bкиев",
    r"\bkyjiw",
    # Ukraine's president and the Donbas name the country's context as surely as its name.
    r"zelensk",
    r"зеленськ",
    r"зеленск",
    r"selensk",
    r"zełensk",
    r"\bdonbas",
    r"донбас",
)

# Foreign military personnel: the nouns. Bare "forces" is kept apart: it names armies in general.
TROOP_TERMS = _rx(
    r"\btroops?\b",
    r"\bsoldiers?\b",
    r"\bservicem[ae]n\b",
    r"\bpersonnel\b",
    r"\bcontingents?\b",
    r"\bboots on the ground\b",
    r"\bground forces\b",
    r"\btrainers?\b",
    r"\bunits\b",
    r"\binstructors?\b",
    r"\bpeace-?keep",
    r"\bmilitary (?:mission|presence|deployment|hubs?|specialists)",
    r"\btroupes?\b",
    r"\bsoldats?\b",
    r"\bmilitaires\b",
    r"\binstructeurs?\b",
    r"\bcasques bleus\b",
    r"\bcontingents?\b",
    r"truppen?\b",
    r"\bsoldaten\b",
    r"\bausbilder\b",
    r"friedens(?:truppe|mission|soldat)",
    r"bundeswehr",
    r"військ",
    r"солдат",
    r"миротвор",
    r"інструктор",
    r"контингент",
    r"войск",
    r"инструктор",
    r"военны[хем]",
    r"військов[іих]",
    r"\bwojsk",
    r"żołnierz",
    r"siły pokojow",
    r"misj[aięy] pokojow",
    r"\bkontyngent",
    r"\binstruktor",
    # Special forces and military advisers: the "already in Ukraine" reports (leaked documents).
    r"\bspecial (?:forces|operations forces|operators)\b",
    r"\bforces spéciales\b",
    r"\bconseillers militaires\b",
    r"spezialkräfte",
    r"spezialeinheit",
    r"kommandosoldat",
    r"militärberater",
    r"sił\w* specjaln",
    r"\bkomandos",
    r"doradc\w* wojskow",
    r"спецпризначен",
    r"сил\w* спеціальних операцій",
    r"сил\w* специальных операций",
    r"спецназ",
    r"військов\w+ радник",
    r"военн\w+ советник",
)
TROOP_FORCES = _rx(
    r"\bforces?\b", r"\bforces? armées\b", r"\bstreitkräfte", r"\bсил[иаы]?\b", r"\bsił[ay]?\b"
)

# Strong troop-deployment phrases naming a foreign force: enough on their own with a Ukraine context.
TROOP_STRONG = _rx(
    r"\bboots on the ground\b",
    r"\bpeace-?keep(?:ers?|ing force|ing mission|ing troops)",
    r"\breassurance (?:force|mission)\b",
    r"\bmultinational force\b",
    r"\bstabili[sz]ation force\b",
    r"\b(?:western|european|nato|foreign|british|french|u\.?s\.?|american|allied|german|polish|canadian|"
    r"nordic|baltic|coalition|dutch|italian|czech|swedish|danish|finnish|turkish|un|alliance|nato-country) "
    r"(?:ground |military )?(?:troops|soldiers|forces|personnel|trainers|instructors|contingents?|units|servicemen|boots)\b",
    r"\btroops? from (?:nato|european|western|allied)",
    r"\bforce for ukraine\b",
    r"\bforeign (?:military )?presence\b",
    r"\bmilitary hubs?\b",
    r"troupes? (?:au sol|occidentales|européennes|françaises|étrangères)",
    r"envoi de troupes",
    r"force de réassurance",
    r"soldats (?:occidentaux|européens|français)",
    r"bodentruppen",
    r"truppen in die ukraine",
    r"(?:westliche|europäische|deutsche|nato-)\w* (?:truppen|soldaten)",
    r"миротворц",
    r"миротворч",
    r"війська в україн",
    r"(?:західн|європейськ|іноземн)\w+ (?:війсь|військов|контингент|сил)",
    r"(?:западн|европейск|иностранн|британск|французск)\w+ (?:войск|военн|контингент|сил)",
    r"войска на украин",
    r"войск на украин",
    r"wojsk[a]? (?:na|do) ukrain",
    r"żołnierzy (?:na|do) ukrain",
    r"(?:zachodni|europejski|polski)\w* (?:żołnierz|wojsk|kontyngent)",
    # Foreign special forces or personnel named by country, in every language.
    r"\b(?:western|nato|british|u\.?s\.?|american|french|polish) special (?:forces|operations)",
    r"\bforeign (?:military )?(?:personnel|specialists|advisers|advisors)\b",
    r"(?:zachodni|natowsk|brytyjsk|amerykańsk|francusk|niemieck|obc)\w* "
    r"(?:sił\w* specjaln|komandos|żołnierz|wojsk|kontyngent|instruktor|doradc|wojskowych)",
    r"(?:żołnierz|wojsk|kontyngent|komandos|sił\w* specjaln)\w* "
    r"(?:z |ze )?(?:nato|usa|stanów|wielkiej brytanii|francji|zachodu)\w* (?:na|w) ukrainie",
    r"(?:westlich|britisch|amerikanisch|französisch|us-|ausländisch|europäisch)\w* "
    r"(?:spezialkräfte|spezialeinheit|kommando|soldaten|truppen|militärberater|ausbilder)",
    r"(?:soldaten|truppen|spezialkräfte|militärberater) (?:aus nato-staaten|der nato|des westens)",
    r"(?:soldaten|truppen|spezialkräfte|ausbilder) (?:\w+ ){0,3}in der ukraine",
    r"(?:натовськ|британськ|американськ|французьк|західн|іноземн|польськ)\w+ "
    r"(?:спецпризнач|сил\w* спеціальних|військов|солдат|інструктор|радник)",
    r"(?:натовск|британск|американск|французск|западн|иностранн|польск)\w+ "
    r"(?:спецназ|сил\w* специальных|военн|солдат|инструктор|советник|наемник)",
    r"(?:військов|солдат|спецпризначенц)\w* (?:нато|сша|країн нато|заходу) (?:в|на) україн",
    r"(?:военн|солдат|спецназ)\w* (?:нато|сша|стран нато|запада) (?:в|на) украин",
    # Poland (or another neighbour) as the rear base of a force inside Ukraine.
    r"(?:rear|logistics?|staging) (?:base|hub) (?:for|of) (?:the|a|any) "
    r"(?:\w+ ){0,2}(?:force|mission|contingent|troops)",
    r"(?:zaplecz|hub\w* logistyczn|baz\w* (?:logistyczn|wypadow))\w* (?:\w+ ){0,4}"
    r"(?:sił|misji|kontyngent|wojsk|żołnierzy)",
    r"(?:drehscheibe|nachschubbasis|logistikzentrum|hinterland) (?:\w+ ){0,4}"
    r"(?:truppe|mission|kontingent|schutztruppe|friedenstruppe)",
    r"(?:тилов|логістичн|логистическ)\w+ (?:баз|хаб|центр)\w* (?:\w+ ){0,4}"
    r"(?:контингент|місі|миссии|сил|військ|войск)",
)

# Generic deployment phrases: strong unless the sentence is about some other army.
TROOP_GENERIC = _rx(
    r"\btroops? (?:to|in|into) ukraine\b",
    r"\bsend(?:ing)? (?:ground )?troops\b",
    r"\bdeploy(?:ing|ment of)? (?:ground )?troops\b",
    r"\bforces? (?:in|into|to) ukraine\b",
    r"\bon ukrainian (?:soil|territory)\b",
    r"\bsur le sol ukrainien\b",
    r"auf ukrainischem boden",
    r"на территории украин",
    r"на території україн",
    r"na terytorium ukrainy",
    r"\b(?:troops|soldiers|personnel|forces) (?:already )?(?:on the ground )?in ukraine\b",
    r"(?:na|w) ukrainie (?:przebywa|stacjonuj|działa|są obecn)",
    r"(?:przebywa|stacjonuj|działa|obecn)\w* (?:\w+ ){0,2}(?:na|w) ukrainie",
    r"in der ukraine (?:stationiert|im einsatz|präsent|tätig)",
    r"(?:перебува|присутн|діють|дислок)\w* (?:\w+ ){0,2}(?:в|на) україн",
    r"(?:находятся|присутств|действуют|дислоцир)\w* (?:\w+ ){0,2}(?:в|на) украин",
)

DEPLOY_CUES = _rx(
    r"\bsend",
    r"\bsent\b",
    r"\bdeploy",
    r"\bdispatch",
    r"\bstation(?:ed|ing)?\b",
    r"\bbased in\b",
    r"\bon the ground\b",
    r"\bput\b",
    r"\bcommit",
    r"\brul(?:e|ed|es|ing) (?:out|in)\b",
    r"\bnot ruled out\b",
    r"\bmission\b",
    r"\binto ukraine\b",
    r"\bto ukraine\b",
    r"\bin ukraine\b",
    r"\benvoy",
    r"\benvoi",
    r"\bdéploy",
    r"entsend",
    r"\bschick",
    r"stationier",
    r"направ",
    r"відправ",
    r"розмі",
    r"введ",
    r"ввод",
    r"размещ",
    r"\bwysła",
    r"\bwysył",
    r"rozmieszcz",
    r"\bwyśl",
    r"\blegitimate targets?\b",
    r"\bunacceptable\b",
    # Reports that foreign personnel are already there: leaked documents, presence.
    r"\bleak",
    r"\balready (?:in|on|operating|deployed|present)\b",
    r"\bpresence\b",
    r"\boperating in\b",
    r"wyciek",
    r"\bobecnoś",
    r"przebywa",
    r"stacjonuj",
    r"geleakt",
    r"durchgesickert",
    r"\bpräsenz\b",
    r"im einsatz",
    r"bereits in",
    r"злит",
    r"витік",
    r"утечк",
    r"присутн",
    r"перебува",
    r"находятся",
    r"присутств",
    r"fuite",
    r"\bprésence\b",
    r"\bdéjà\b",
)

# Personnel that are not foreign troops for Ukraine: keep the troops label quiet.
TROOP_NEGATIVE = _rx(
    r"north korea",
    r"pyongyang",
    r"\bkursk\b",
    r"nord-coré",
    r"nordkorea",
    r"північнокоре",
    r"северокоре",
    r"\brussia(?:n|'s)? (?:armed forces|troops|forces|soldiers|army|servicemen|reservists)",
    r"\bbelarus(?:ian)?\b",
    r"\bcsto\b",
    r"одкб",
    r"ukrainian (?:troops|forces|soldiers|servicemen|army|crews|pilots|recruits)",
    r"ukraine's (?:troops|forces|soldiers|army|own|peacekeepers)",
    r"\bkyiv's forces",
    r"\bdrone troops\b",
    r"ukrain\w* peacekeep",
    r"(?:soldats|militaires|troupes|forces) ukrainien",
    r"\bat the front\b",
    r"\bfront-?line units\b",
    r"\breplenish",
    r"\bdischarged\b",
    r"\bnot (?:to|in|into) ukraine\b",
    r"\b(?:allied|nato) territory\b",
    r"\bnear (?:the )?ukrain\w* border",
    r"\bborder with ukraine\b",
    r"\bukrain\w* border\b",
    r"\bmobili[sz]",
    r"\bconscript",
    r"\breservists\b",
    r"\bveterans\b",
    r"\bin (?:poland|germany|romania|lithuania|latvia|estonia|the baltics|britain|the uk|france|"
    r"slovakia|hungary|moldova|cyprus|syria|iraq|south korea|the peninsula|chicago)\b",
    r"\bto (?:poland|romania|lithuania|latvia|estonia|kosovo|the baltics)\b",
    r"\beastern flank\b",
    r"\bbattlegroups?\b",
    r"\bair policing\b",
    r"\beastern sentry\b",
    r"\bforward presence\b",
    r"\bkfor\b",
    r"\bunifil\b",
    r"\bunficyp\b",
    r"\bgaza\b",
    r"\btaiwan",
    r"\blebanon\b",
    r"\bkosovo\b",
    r"\bmali\b",
    r"\bsyria\b",
    r"\binterflex\b",
    r"\beumam\b",
    r"international legion",
    r"\bvolunteers?\b",
    r"\bcontract soldiers\b",
    r"\blégion internationale\b",
    r"\bvolontaires\b",
    r"інтернаціональн\w+ легіон",
    r"ukrainische (?:soldaten|truppen)",
    r"in deutschland",
    r"\ben france\b",
    r"w polsce",
    r"у великій британії",
    r"українськ\w+ (?:військов|військ|солдат|новобранц)",
    r"российск\w+ (?:войск|военн|солдат)",
    r"російськ\w+ (?:військ|солдат)",
    r"трудн",
    r"мобіліз",
    r"мобилиз",
    r"mobiliz",
)

GUARANTEE_STRONG = _rx(
    r"security guarantee",
    r"security assurance",
    r"security commitment",
    r"security agreement",
    r"security pact",
    r"security accord",
    r"security (?:cooperation|partnership) (?:pact|agreement|accord)",
    r"security arrangements?",
    r"security compact",
    r"\bukraine compact\b",
    r"\bbackstop",
    r"article[- ]5",
    r"budapest memorandum",
    r"\bparis declaration\b",
    r"\bguarantor",
    r"\bguarantee (?:package|framework|mission|force|architecture)",
    r"(?:u\.?s\.?|american|western|european|nato|allied|coalition's) guarantees?\b",
    r"guarantees? (?:for|to) (?:ukraine|kyiv)",
    r"guarantee(?:ing)? (?:ukraine|kyiv)'s (?:security|sovereignty)",
    r"legally binding (?:security )?(?:commitments|guarantees|assurances)",
    r"garanties? de sécurité",
    r"garanties? de securite",
    r"accord\w* (?:bilatéra\w+ )?de sécurité",
    r"déclaration de paris",
    r"\bgarants?\b",
    r"sicherheitsgarantie",
    r"sicherheitszusage",
    r"sicherheitsabkommen",
    r"sicherheitsvereinbarung",
    r"beistandspflicht",
    r"pariser erklärung",
    r"garantiemächte",
    r"гарантії безпеки",
    r"гарантій безпеки",
    r"гарантіями безпеки",
    r"гарантии безопасности",
    r"гарантий безопасности",
    r"гарантиями безопасности",
    r"безпекова угода",
    r"безпекові гарантії",
    r"угод\w* про безпек",
    r"соглашени\w* о безопасност",
    r"гарант(?:ів|ы|ов|ами|ом)\b",
    r"парижськ\w+ декларац",
    r"парижск\w+ декларац",
    r"gwarancj\w* bezpieczeństwa",
    r"gwarancj\w* bezpieczenstwa",
    r"porozumieni\w* o bezpieczeństwie",
    r"umow\w* o bezpieczeństwie",
    r"deklaracj\w* paryski",
    r"gwarant(?:ów|ami)\b",
    r"будапештськ",
    r"будапештск",
    r"memorandum budapeszt",
    r"mémorandum de budapest",
    r"budapester memorandum",
    # NATO membership and Article 5, the form the guarantee debate often takes.
    r"article (?:5|five)\b",
    r"\bartikel 5\b",
    r"\bartykuł\w* 5\b",
    r"\bстат(?:т|ь)\w* 5\b",
    r"(?:п.ят|пят)\w+ стат",
    r"\b(?:ukraine's|kyiv's|its) (?:rightful )?(?:future|place) (?:is|lies) in (?:nato|the alliance)",
    r"\birreversible (?:path|pathway) to (?:nato|membership)",
    r"(?:avenir|place) de l.ukraine est dans l.otan",
    r"zukunft der ukraine (?:liegt|ist) in der nato",
    r"przyszłość ukrainy (?:jest|leży) w nato",
    r"майбутнє україни (?:в|у) нато",
    r"\b(?:economic|minerals?) backstop\b",
    r"(?:minerals?|rare[- ]earths?) (?:deal|agreement|accord)\w* (?:\w+ ){0,6}"
    r"(?:as|is|amounts to|a form of|serves as|like) (?:a |an )?(?:\w+ )?"
    r"(?:security guarantee|guarantee|backstop|protection|shield)",
)

GUARANTEE_WEAK = _rx(
    r"\bguarant",
    r"\bassurances?\b",
    r"\breassurance\b",
    r"\bdeterren",
    r"nato membership",
    r"join(?:ing)? nato",
    r"\bunderwrite",
    r"\bgaranti",
    r"\bgarantie",
    r"\bgwarancj",
    r"гаранті",
    r"гаранти",
    r"членств\w* (?:в|у) нато",
    r"членств\w* (?:в|у) альянс",
    r"вступ\w* (?:україни )?(?:до|в) нато",
    r"вступлени\w* (?:украины )?в нато",
    r"(?:membership|accession|invitation|bid|path) (?:of ukraine )?(?:to|in|into|of) (?:nato|the alliance)",
    r"\bnato (?:accession|invitation|bid|path|door)",
    r"\b(?:adhésion|entrée) (?:de l.ukraine )?(?:à|dans) l.otan",
    r"nato-(?:beitritt|mitgliedschaft)",
    r"beitritt (?:der ukraine )?zur nato",
    r"(?:członkostw|akcesj|wstąpieni|przystąpieni)\w* (?:ukrainy )?(?:do|w) nato",
    r"\bsecurity (?:clause|umbrella|shield)\b",
    r"\blong-term (?:support|commitments?|security)\b",
    r"\bprotect(?:ion)? (?:for|of) ukraine\b",
    r"bilateral (?:security )?(?:agreement|pact|accord)s?",
    r"\b(?:10|ten|100|hundred)-year (?:agreement|partnership|pact|accord)",
    r"\bsecure (?:a|any|the) (?:peace|ceasefire|settlement|deal)\b",
    r"\bmultinational force\b",
    r"\bbinding (?:commitments|pact|treaty)\b",
    r"\bsecurity (?:package|component|framework)\b",
    r"\bzobowiązani\w+ (?:bezpieczeństwa|wobec)",
    r"\bзобов.язан",
    r"сили підтримки",
    r"reassurance force",
)

# "Coalition of the willing": the guarantee debate's forum, but joining it to send peacekeepers is
# a troops story; on its own it only nudges the guarantees score.
COALITION = _rx(
    r"coalition of the willing",
    r"coalition des volontaires",
    r"koalition der willigen",
    r"коаліц\w+ охочих",
    r"коалиц\w+ желающих",
    r"koalicj\w* chętnych",
)

# Financial or legal guarantees: never a security guarantee, whatever else the sentence says.
GUARANTEE_FINANCIAL = _rx(
    r"\bloan guarantee",
    r"\bcredit guarantee",
    r"\bguaranteed (?:loan|income|price|supplies|quota)",
    r"\bdeposit",
    r"\bexport[- ]credit",
    r"\binvestment guarantee",
    r"\bwar[- ]risk",
    r"\binsur",
    r"world bank",
    r"\bbonds?\b",
    r"\bfinancing guarantee",
    r"\blending\b",
    r"\bsmes?\b",
    r"\beuroclear\b",
    r"\breparations loan\b",
    r"\bfrozen (?:russian )?assets\b",
    r"\bgas storage\b",
    r"\bmiga\b",
    r"\bebrd\b",
    r"\beib\b",
    r"\bbgk\b",
    r"\bhermes",
    r"kreditgarantie",
    r"\bguarantee scheme",
    r"гарантії кредит",
    r"гарантування вкладів",
    r"гарантии для мобилизованных",
    r"kredyt",
    r"humanitarian corridors?",
    r"\bcorridors?\b",
)

# Guarantees for someone else, or Russia's own demands (Dec 2021).
GUARANTEE_NEGATIVE = _rx(
    r"\bisrael(?!-style)",
    r"\btaiwan",
    r"\bsouth korea",
    r"\bseoul\b",
    r"\bjapan's security",
    r"\bphilippines\b",
    r"\bqatar",
    r"\bunion state\b",
    r"\bbelarus",
    r"\bsweden and finland\b",
    r"\bdraft treaties\b",
    r"\bsecurity demands\b",
    r"russia(?:'s|n)? (?:own )?(?:security )?demands",
    r"guarantees? for russia",
    r"demands? for .{0,3}security guarantees",
    r"demanding security guarantees",
    r"security guarantees.{0,3} from (?:the )?(?:us|u\.s\.|united states|washington) and nato",
)

# Russia as the actor: with only generic troop words, the troops are usually its own.
RUSSIA = _rx(
    r"\brussia",
    r"\bmoscow\b",
    r"\bkremlin\b",
    r"\bputin\b",
    r"росси",
    r"россий",
    r"москв",
    r"кремл",
    r"путин",
    r"\brosj",
    r"\bmoskw",
    r"\bkreml",
    r"\brussie",
    r"\bmoscou\b",
    r"\brussland",
    r"\bmoskau\b",
    r"росі",
    r"путін",
)

SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-ÖØ-ÞА-ЯЄІЇҐŁŚŻŹĆŃÓ\"“«])")
