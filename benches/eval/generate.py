#!/usr/bin/env python3
"""Writes the documents of akte's search evaluation set: German letters,
notices, forms and certificates as a job centre's case files hold them.

Deterministic: the same script writes the same files (fixed seed; Python's
random.Random is stable across Python 3 versions for the calls used here).

    python3 benches/eval/generate.py          # writes benches/eval/docs/ and docs.tsv

Everything here is invented: names, addresses, companies, numbers. Names of
real places (Pinneberg, Bergisch Gladbach, ...) are used as places.
"""

import os
import random
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
R = random.Random(20250311)


def pick(seq):
    return R.choice(seq)


def maybe(p, text, other=""):
    return text if R.random() < p else other


# ---------------------------------------------------------------------------
# People, places, organisations

FIRST_F = ["Erika", "Sabine", "Anna", "Fatma", "Leyla", "Olga", "Katarzyna", "Maria", "Jessica",
           "Svetlana", "Nicole", "Aylin", "Zoë", "Chantal", "Monika", "Hannah", "Amira", "Irina",
           "Françoise", "Lucía", "Petra", "Julia", "Mandy", "Derya", "Agnieszka", "Birgit"]
FIRST_M = ["Ahmet", "Thomas", "Michael", "Dragan", "José", "Kevin", "Mehmet", "Piotr", "Andreas",
           "Stefan", "Omar", "Jens", "Sergej", "René", "Lukas", "Hassan", "Dirk", "Marco",
           "Tobias", "Yusuf", "Bernd", "Jörg", "Mustafa", "Dennis", "Andrzej", "Goran"]
LAST = ["Müller", "Schäfer", "Yilmaz", "García", "Bergmann", "Hausmann", "Kaufmann", "Nowak",
        "Petrovic", "Schulte", "Becker", "Krüger", "Özdemir", "Hoffmann", "Wagner", "Kowalski",
        "Al-Hassan", "Stromberg", "Kassner", "Lehmann", "Jansen", "Brandt", "Demir", "Iwanow",
        "Meyer", "Fischer", "Schröder", "Nguyen", "Ramírez", "Böhm", "Wolff", "Haddad",
        "Peters", "Sommer", "Friedrich", "Doğan", "Lindström", "Koch"]
# "Doğan" has a letter outside Windows-1252; keep the ASCII spelling.
LAST = [n.replace("ğ", "g") for n in LAST]

# Jobcenter regions: (Jobcenter, sites, towns with PLZ, phone prefix, office number)
REGIONS = [
    {
        "jobcenter": "Jobcenter Kreis Pinneberg",
        "sites": {
            "Pinneberg": ("Bahnhofstraße 18", "25421 Pinneberg", "04101 5075"),
            "Elmshorn": ("Hainholzer Damm 3", "25335 Elmshorn", "04121 4502"),
            "Wedel": ("Rosengarten 5", "22880 Wedel", "04103 9180"),
        },
        "towns": [("25421", "Pinneberg", "Pinneberg"), ("25335", "Elmshorn", "Elmshorn"),
                  ("22880", "Wedel", "Wedel"), ("25436", "Uetersen", "Elmshorn"),
                  ("25451", "Quickborn", "Pinneberg"), ("25462", "Rellingen", "Pinneberg"),
                  ("25469", "Halstenbek", "Pinneberg"), ("25436", "Tornesch", "Elmshorn"),
                  ("22869", "Schenefeld", "Wedel"), ("25355", "Barmstedt", "Elmshorn")],
        "office": "23402",
        "kreis": "Kreis Pinneberg",
        "landlords": ["Hausverwaltung Krüger & Partner", "Wohnungsbaugenossenschaft Elbmarsch eG",
                      "Vermietung Peter Sommer", "Neue Lübecker Wohnungsbau",
                      "Vermieterin Helga Friedrich"],
        "schools": ["Grundschule Am Mühlenteich", "Gemeinschaftsschule Elmshorn",
                    "Johannes-Brahms-Gymnasium", "Berufliche Schule Pinneberg",
                    "Grundschule Thesdorf"],
        "traeger": ["Bildungswerk Nord gGmbH", "ProJob Qualifizierung GmbH",
                    "Volkshochschule Pinneberg", "Sprachschule Lingua Plus"],
        "stadtwerke": ["Stadtwerke Pinneberg GmbH", "Stadtwerke Elmshorn", "Stadtwerke Wedel",
                       "Vattenfall Europe Sales", "E.ON Energie Deutschland"],
        "beratung": ["Schuldnerberatung der Diakonie Pinneberg",
                     "Schuldner- und Insolvenzberatung der AWO Elmshorn",
                     "Verbraucherzentrale Schleswig-Holstein, Schuldnerberatung"],
    },
    {
        "jobcenter": "Jobcenter Rhein-Berg",
        "sites": {
            "Bergisch Gladbach": ("Bensberger Straße 85", "51465 Bergisch Gladbach", "02202 9333"),
            "Wermelskirchen": ("Telegrafenstraße 4", "42929 Wermelskirchen", "02196 8850"),
        },
        "towns": [("51465", "Bergisch Gladbach", "Bergisch Gladbach"),
                  ("51469", "Bergisch Gladbach", "Bergisch Gladbach"),
                  ("51429", "Bergisch Gladbach", "Bergisch Gladbach"),
                  ("51491", "Overath", "Bergisch Gladbach"), ("51503", "Rösrath", "Bergisch Gladbach"),
                  ("42929", "Wermelskirchen", "Wermelskirchen"), ("42799", "Leichlingen", "Wermelskirchen"),
                  ("51399", "Burscheid", "Wermelskirchen"), ("51515", "Kürten", "Bergisch Gladbach")],
        "office": "53706",
        "kreis": "Rheinisch-Bergischer Kreis",
        "landlords": ["Hausverwaltung Rheinblick GmbH", "Rheinisch-Bergische Siedlungsgesellschaft",
                      "Vermietung Peter Sommer", "Vermieterin Helga Friedrich",
                      "Gemeinnützige Wohnungsgesellschaft Bergisches Land"],
        "schools": ["Otto-Hahn-Gymnasium", "Integrierte Gesamtschule Paffrath",
                    "Realschule Herkenrath", "Grundschule Hand", "Grundschule Am Mühlenteich"],
        "traeger": ["Akademie für Arbeit und Bildung", "Berufsförderungswerk Rhein",
                    "VHS Bergisch Gladbach", "Sprachschule Lingua Plus"],
        "stadtwerke": ["BELKAW GmbH", "Stadtwerke Wermelskirchen", "RheinEnergie AG",
                       "E.ON Energie Deutschland"],
        "beratung": ["Schuldnerberatung der Caritas Rhein-Berg",
                     "Schuldner- und Insolvenzberatung der AWO Bergisch Gladbach",
                     "Verbraucherzentrale NRW, Schuldnerberatung"],
    },
]

STREETS = ["Gartenstraße", "Lindenallee", "Am Markt", "Mühlenweg", "Friedrich-Ebert-Straße",
           "Schulweg", "Kirchenstraße", "Rosenweg", "Hauptstraße", "Damm", "Feldstraße",
           "Berliner Straße", "Ahornweg", "Am Sportplatz", "Königsberger Straße", "Parkstraße",
           "Dorfstraße", "Jahnstraße", "Birkenweg", "Kastanienallee", "Schillerstraße",
           "Goethestraße", "Amselweg", "Hafenstraße"]

CASEWORKERS = [("Frau", "Lindner"), ("Herr", "Özkan"), ("Frau", "Brandenburg"), ("Herr", "Tiedemann"),
               ("Frau", "Krause"), ("Herr", "Wojcik"), ("Frau", "Hansen"), ("Frau", "Behrens"),
               ("Herr", "Sander"), ("Frau", "Dietrich")]

EMPLOYERS = [
    ("Bäckerei Hansen GmbH", "Verkauf", "Verkäuferin / Verkäufer"),
    ("Logistikzentrum Nord GmbH & Co. KG", "Lager", "Lagerhelfer/in"),
    ("Pflegedienst Sonnenschein", "ambulante Pflege", "Pflegehelfer/in"),
    ("TeleDirekt Service GmbH", "Kundenservice", "Servicemitarbeiter/in im Callcenter"),
    ("Gebäudereinigung Blitzblank GmbH", "Reinigung", "Reinigungskraft"),
    ("Autohaus Peters KG", "Werkstatt", "Kfz-Mechatroniker/in"),
    ("Gasthaus Zur Linde", "Gastronomie", "Küchenhilfe"),
    ("Spedition Brandt & Söhne", "Fuhrpark", "Berufskraftfahrer/in"),
    ("Supermarkt Frischeland", "Kasse und Regale", "Kassierer/in"),
    ("Elektro Wolff GmbH", "Installation", "Elektroniker/in"),
    ("Kindertagesstätte Regenbogen", "Betreuung", "Erzieher/in"),
    ("Securitas Objektschutz GmbH", "Objektschutz", "Sicherheitsmitarbeiter/in"),
    ("Zeitarbeit Flex Personal GmbH", "Arbeitnehmerüberlassung", "Produktionshelfer/in"),
    ("Hotel Am Rosengarten", "Housekeeping", "Zimmerreinigung"),
    ("Digitalagentur Pixelwerk", "Webdesign", "Mediengestalter/in"),
]


KRANKENKASSEN = ["AOK NordWest", "Techniker Krankenkasse", "BARMER", "DAK-Gesundheit", "IKK classic",
                 "AOK Rheinland/Hamburg"]




def no_umlauts(text):
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue"),
                 ("ß", "ss")):
        text = text.replace(a, b)
    return text


class Ctx:
    """One case: the person, their household, their job centre."""

    def __init__(self):
        self.region = pick(REGIONS)
        plz, town, site = pick(self.region["towns"])
        self.site = site
        self.female = R.random() < 0.55
        self.first = pick(FIRST_F if self.female else FIRST_M)
        self.last = pick(LAST)
        self.name = f"{self.first} {self.last}"
        self.anrede = "Frau" if self.female else "Herr"
        self.herrn = "Frau" if self.female else "Herrn"
        self.geehrte = (f"Sehr geehrte Frau {self.last}," if self.female
                        else f"Sehr geehrter Herr {self.last},")
        self.street = f"{pick(STREETS)} {R.randint(1, 140)}{pick(['', '', '', 'a', 'b'])}"
        self.plz = plz
        self.town = town
        self.case = f"{self.region['office']}BG{R.randint(1, 99999):07d}"
        self.cw = pick(CASEWORKERS)
        self.jobcenter = self.region["jobcenter"]
        site_street, site_town, phone = self.region["sites"][site]
        self.jc_street = site_street
        self.jc_town = site_town
        self.jc_phone = f"{phone}-{R.randint(100, 399)}"
        self.children = R.choice([0, 0, 1, 1, 2, 3])
        self.kids = [pick(FIRST_F + FIRST_M) for _ in range(self.children)]
        # The day of the letter; earlier dates fall before it, later ones after.
        self.day = R.randint(10, 20)
        self.birth = date(R.randint(1960, 2004))
        self.month, self.year = R.randint(1, 12), pick([2024, 2025])

    def jc_header(self, date_str=None):
        cw_anrede, cw_name = self.cw
        who = "Ihre Ansprechpartnerin" if cw_anrede == "Frau" else "Ihr Ansprechpartner"
        return "\n".join([
            f"{self.jobcenter} · Standort {self.site} · {self.jc_street} · {self.jc_town}",
            "",
            self.herrn,
            self.name,
            self.street,
            f"{self.plz} {self.town}",
            "",
            f"{self.jc_town.split(' ', 1)[1]}, {date_str or self.today()}",
            f"BG-Nummer: {self.case}",
            f"{who}: {cw_anrede} {cw_name}, Telefon {self.jc_phone}",
        ])

    def citizen_header(self, date_str=None):
        return "\n".join([
            self.name,
            self.street,
            f"{self.plz} {self.town}",
            "",
            self.jobcenter,
            f"Standort {self.site}",
            self.jc_street,
            self.jc_town,
            "",
            f"{self.town}, den {date_str or self.today()}",
        ])

    def date(self):
        """A day before the letter (of the same month)."""
        return f"{R.randint(1, self.day - 1):02d}.{self.month:02d}.{self.year}"

    def today(self):
        return f"{self.day:02d}.{self.month:02d}.{self.year}"

    def later(self, months=1):
        """A day after the letter, `months` months on."""
        m = self.month + months
        y = self.year + (m - 1) // 12
        m = (m - 1) % 12 + 1
        lo = self.day + 1 if months == 0 else 1
        return f"{R.randint(lo, 28):02d}.{m:02d}.{y}"

    def signoff_jc(self):
        cw_anrede, cw_name = self.cw
        return "\n".join([
            "Mit freundlichen Grüßen",
            "Im Auftrag",
            f"{cw_name}",
        ])

    def signoff_citizen(self):
        return "\n".join([pick(["Mit freundlichen Grüßen", "Mit freundlichen Grüßen", "Viele Grüße",
                                "Freundliche Grüße"]), self.name])


def date(year):
    return f"{R.randint(1, 28):02d}.{R.randint(1, 12):02d}.{year}"


def euro(lo, hi):
    v = R.randint(lo * 100, hi * 100) / 100
    s = f"{v:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return f"{s} Euro" if R.random() < 0.5 else f"{s} €"


def month_name(m):
    return ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
            "Oktober", "November", "Dezember"][m - 1]


# Spellings that vary between writers.
def homeoffice():
    return pick(["Homeoffice", "Home-Office", "Home Office"])


def email():
    return pick(["E-Mail", "E-Mail", "Email", "E-mail"])


def onlinetermin():
    return pick(["Onlinetermin", "Online-Termin", "Online Termin"])


def minijob():
    return pick(["Minijob", "Mini-Job", "Minijob"])


def deutschkurs():
    return pick(["Deutschkurs", "Deutsch-Kurs", "Deutsch Kurs"])


def callcenter():
    return pick(["Callcenter", "Call-Center", "Call Center"])


def kitagebuehren():
    return pick(["Kitagebühren", "Kita-Gebühren", "Kita Gebühren"])


def nka():
    return pick(["Nebenkostenabrechnung", "Nebenkostenabrechnung", "Nebenkosten-Abrechnung"])


def coaching():
    return pick(["Bewerbungscoaching", "Bewerbungs-Coaching"])


def handyvertrag():
    return pick(["Handyvertrag", "Handy-Vertrag"])


def wrap(text, width=84):
    out = []
    for para in text.split("\n"):
        if len(para) <= width:
            out.append(para)
        else:
            out.extend(textwrap.wrap(para, width, break_long_words=False, break_on_hyphens=False))
    return "\n".join(out)


def letter(*parts):
    return "\n\n".join(p for p in parts if p)


# ---------------------------------------------------------------------------
# Document kinds. Each takes a Ctx and returns (title, text).

def bewilligungsbescheid(c):
    rb = pick(["ab", "für die Zeit vom 01.%02d.%d bis" % (c.month, c.year)])
    regel = pick(["563,00", "506,00", "451,00"])
    kdu = euro(350, 780)
    heiz = euro(60, 160)
    lines = [
        f"- Regelbedarf: {regel} Euro monatlich",
        f"- Bedarfe für Unterkunft (Kaltmiete und Nebenkosten): {kdu}",
        f"- Heizkosten: {heiz}",
    ]
    if c.children:
        lines.append(f"- Regelbedarf für {c.children} Kind{'er' if c.children > 1 else ''}: "
                     f"{euro(350, 1200)}")
        lines.append(f"- angerechnetes Kindergeld: {c.children * 255},00 Euro")
    if R.random() < 0.3:
        lines.append(f"- Mehrbedarf für Alleinerziehende: {euro(60, 200)}")
    if R.random() < 0.2:
        lines.append(f"- Mehrbedarf wegen kostenaufwändiger Ernährung (Laktoseunverträglichkeit "
                     f"nach ärztlichem Attest): {euro(30, 60)}")
    return "Bewilligungsbescheid", letter(
        c.jc_header(),
        pick(["Bescheid über die Bewilligung von Leistungen zur Sicherung des Lebensunterhalts "
              "nach dem Zweiten Buch Sozialgesetzbuch (SGB II) – Bürgergeld",
              "Bewilligungsbescheid – Grundsicherung für Arbeitsuchende nach dem SGB II "
              "(Bürgergeld)"]),
        c.geehrte,
        f"auf Ihren Antrag vom {c.date()} bewillige ich Ihnen und den mit Ihnen in der "
        f"Bedarfsgemeinschaft lebenden Personen Leistungen {rb} "
        f"{c.later(6) if rb != 'ab' else c.later(0)}.",
        "Die Leistungen setzen sich wie folgt zusammen:\n" + "\n".join(lines),
        pick([
            "Die Berechnung der Leistungen können Sie den beigefügten Berechnungsbögen entnehmen. "
            "Einkommen wurde bei der Berechnung berücksichtigt, soweit es nicht frei bleibt.",
            "Wie die Leistungen berechnet wurden, ergibt sich aus der Anlage. Die Anrechnung von "
            "Einkommen ist dort für jeden Monat einzeln dargestellt.",
        ]),
        "Die Zahlung erfolgt monatlich im Voraus auf das von Ihnen angegebene Konto "
        f"(IBAN DE{R.randint(10, 99)} {R.randint(1000, 9999)} {R.randint(1000, 9999)} "
        f"{R.randint(1000, 9999)} {R.randint(1000, 9999)} {R.randint(10, 99)}).",
        "Bitte teilen Sie uns jede Änderung Ihrer persönlichen und wirtschaftlichen Verhältnisse "
        "unverzüglich mit, zum Beispiel die Aufnahme einer Arbeit, einen Umzug oder den Bezug "
        "anderer Leistungen.",
        "Rechtsbehelfsbelehrung: Gegen diesen Bescheid kann innerhalb eines Monats nach Bekanntgabe "
        f"Widerspruch erhoben werden. Der Widerspruch ist schriftlich oder zur Niederschrift beim "
        f"{c.jobcenter}, {c.jc_street}, {c.jc_town} einzulegen.",
        c.signoff_jc(),
    )


def aenderungsbescheid(c):
    grund = pick([
        ("Aufnahme einer Beschäftigung", f"Sie erzielen seit dem {c.date()} Einkommen aus einer "
         f"Beschäftigung bei der Firma {pick(EMPLOYERS)[0]}. Das Einkommen wird nach Abzug der "
         "Freibeträge angerechnet."),
        ("Erhöhung der Miete", f"Ihr Vermieter hat die Kaltmiete zum {c.later(1)} auf "
         f"{euro(380, 690)} erhöht. Die neue Miete ist angemessen und wird übernommen."),
        ("Änderung des Kindergeldes", "Die Familienkasse hat das Kindergeld neu festgesetzt. Das "
         "Kindergeld wird als Einkommen des Kindes berücksichtigt."),
        ("Geburt eines Kindes", f"Ihr Kind {pick(FIRST_F + FIRST_M)} ist am {c.date()} geboren. "
         "Es gehört ab Geburt zu Ihrer Bedarfsgemeinschaft."),
        ("Nebenkostenabrechnung", f"Aus der Nebenkostenabrechnung Ihres Vermieters ergibt sich ein "
         f"Guthaben von {euro(40, 320)}. Das Guthaben mindert die Bedarfe für Unterkunft und "
         "Heizung im Folgemonat."),
    ])
    return "Änderungsbescheid", letter(
        c.jc_header(),
        f"Änderungsbescheid zum Bescheid vom {c.date()}",
        c.geehrte,
        f"die Leistungen zur Sicherung des Lebensunterhalts werden ab {c.later(1)} neu festgesetzt. "
        f"Grund der Änderung: {grund[0]}.",
        grund[1],
        f"Ab dem genannten Zeitpunkt erhalten Sie monatlich {euro(300, 1800)}. Der Bescheid vom "
        f"{c.date()} wird insoweit aufgehoben.",
        pick(["Die übrigen Regelungen des Bescheides bleiben unverändert.",
              "Im Übrigen bleibt es bei der bisherigen Entscheidung."]),
        "Rechtsbehelfsbelehrung: Gegen diesen Bescheid kann innerhalb eines Monats nach Bekanntgabe "
        "Widerspruch erhoben werden.",
        c.signoff_jc(),
    )


def aufhebung(c):
    betrag = euro(120, 2400)
    return "Aufhebungs- und Erstattungsbescheid", letter(
        c.jc_header(),
        "Aufhebungs- und Erstattungsbescheid",
        c.geehrte,
        f"die Entscheidung über die Bewilligung von Bürgergeld wird für die Zeit vom {c.date()} bis "
        f"{c.later(2)} teilweise aufgehoben.",
        pick([
            f"Sie haben in dieser Zeit Arbeitsentgelt von der Firma {pick(EMPLOYERS)[0]} erhalten, "
            "das Sie nicht rechtzeitig mitgeteilt haben.",
            "Sie haben in dieser Zeit Krankengeld von Ihrer Krankenkasse bezogen, das bei der "
            "Bewilligung nicht berücksichtigt werden konnte.",
            "Sie sind zum Monatsende umgezogen und haben die neue Anschrift erst später mitgeteilt; "
            "für die alte Wohnung wurde noch Miete gezahlt.",
            "Ihr Sohn hat eine Ausbildung begonnen und erhält eine Ausbildungsvergütung.",
        ]),
        f"Dadurch ist eine Überzahlung in Höhe von {betrag} entstanden. Dieser Betrag ist nach "
        "§ 50 SGB X zu erstatten.",
        pick([
            "Die Forderung wird mit Ihren laufenden Leistungen aufgerechnet: monatlich werden 10 % "
            "des maßgebenden Regelbedarfs einbehalten.",
            "Bitte überweisen Sie den Betrag innerhalb von 30 Tagen. Eine Ratenzahlung können Sie "
            "beim Forderungsmanagement der Bundesagentur für Arbeit beantragen.",
        ]),
        "Rechtsbehelfsbelehrung: Gegen diesen Bescheid kann innerhalb eines Monats Widerspruch "
        "erhoben werden.",
        c.signoff_jc(),
    )


def anhoerung(c):
    return "Anhörung", letter(
        c.jc_header(),
        "Anhörung nach § 24 Zehntes Buch Sozialgesetzbuch (SGB X)",
        c.geehrte,
        pick([
            "nach den mir vorliegenden Unterlagen haben Sie Einkommen aus einem "
            f"{minijob()} bei {pick(EMPLOYERS)[0]} erzielt, das Sie nicht angegeben haben.",
            "durch einen Datenabgleich ist bekannt geworden, dass auf Ihrem Konto Zinsen und eine "
            "Steuererstattung eingegangen sind.",
            f"Ihre Krankenkasse hat mitgeteilt, dass Sie vom {c.date()} bis {c.later(1)} "
            "Krankengeld erhalten haben.",
        ]),
        f"Es ist beabsichtigt, die Bewilligung teilweise aufzuheben und die zu Unrecht gezahlten "
        f"Leistungen in Höhe von {euro(80, 1500)} zurückzufordern.",
        f"Bevor ich entscheide, gebe ich Ihnen Gelegenheit, sich bis zum {c.later(1)} zu äußern. "
        f"Sie können schriftlich, per {email()} über das Kontaktformular oder persönlich Stellung "
        "nehmen.",
        "Äußern Sie sich nicht, wird nach Aktenlage entschieden.",
        c.signoff_jc(),
    )


def einladung(c):
    art = R.random()
    if art < 0.35:
        ort = (f"Der Termin findet als {onlinetermin()} per Video statt. Den Link erhalten Sie "
               f"rechtzeitig per {email()}. Sie benötigen ein Smartphone, Tablet oder einen "
               "Laptop mit Kamera.")
    elif art < 0.55:
        ort = ("Der Termin findet telefonisch statt. Ich rufe Sie zur genannten Uhrzeit unter der "
               "von Ihnen angegebenen Nummer an. Ich arbeite an diesem Tag im "
               f"{homeoffice()}; die Rufnummer wird unterdrückt angezeigt.")
    else:
        ort = f"Bitte kommen Sie in den {c.jobcenter}, {c.jc_street}, Raum {R.randint(1, 3)}.{R.randint(1, 40):02d}."
    thema = pick([
        "Ihre berufliche Situation und Ihre Bewerbungen",
        "Ihr Kooperationsplan",
        "eine Weiterbildung in Ihrem Beruf",
        "Ihre gesundheitliche Situation und mögliche Unterstützungsangebote",
        "die Vermittlung in eine Arbeitsstelle",
        f"die Teilnahme an einem {deutschkurs()}",
        "Ihr Integrationskurs und die Anerkennung Ihres Berufsabschlusses",
    ])
    return "Einladung", letter(
        c.jc_header(),
        "Einladung",
        c.geehrte,
        f"bitte kommen Sie am {c.later(0)} um {R.randint(8, 15)}:{pick(['00', '15', '30', '45'])} "
        f"Uhr zu einem Gespräch. Thema: {thema}.",
        ort,
        pick([
            "Bitte bringen Sie Ihren Lebenslauf, Ihre Zeugnisse und Nachweise über Ihre "
            "Bewerbungen mit.",
            "Bitte bringen Sie diese Einladung und Ihren Personalausweis mit.",
            "Bitte halten Sie Ihre Bewerbungsunterlagen bereit.",
        ]),
        "Wenn Sie den Termin nicht wahrnehmen können, teilen Sie mir das bitte vorher mit und "
        "nennen Sie den Grund. Sind Sie arbeitsunfähig erkrankt, reichen Sie bitte eine "
        "Arbeitsunfähigkeitsbescheinigung ein.",
        "Rechtsfolgenbelehrung: Kommen Sie ohne wichtigen Grund nicht zu dem Termin, kann das "
        "Bürgergeld für einen Monat um 10 Prozent des Regelbedarfs gemindert werden.",
        c.signoff_jc(),
    )


def mitwirkung(c):
    items = R.sample([
        "lückenlose Kontoauszüge aller Konten der letzten drei Monate",
        "die aktuelle Mietbescheinigung Ihres Vermieters",
        "die Lohnabrechnungen für die Monate " + month_name(c.month) + " und "
        + month_name(c.month % 12 + 1),
        f"die {nka()} für das Jahr {c.year - 1}",
        "den Nachweis über das Kindergeld (Bescheid der Familienkasse)",
        "eine Schulbescheinigung für Ihr Kind",
        "den Arbeitsvertrag mit Ihrem neuen Arbeitgeber",
        "die Mitgliedsbescheinigung Ihrer Krankenkasse",
        "den Bescheid über Unterhaltsvorschuss",
        "die Abschlagsrechnung Ihres Stromanbieters",
        "den Rentenbescheid der Deutschen Rentenversicherung",
        "eine Kopie Ihres Aufenthaltstitels",
    ], R.randint(2, 4))
    return "Aufforderung zur Mitwirkung", letter(
        c.jc_header(),
        "Aufforderung zur Mitwirkung – fehlende Unterlagen",
        c.geehrte,
        f"zur Bearbeitung Ihres {pick(['Weiterbewilligungsantrages', 'Antrages auf Bürgergeld', 'Antrages', 'Antrages auf Leistungen der Grundsicherung'])} "
        "vom " + c.date() + " benötige ich noch folgende Unterlagen:",
        "\n".join(f"- {i}" for i in items),
        f"Bitte reichen Sie die Unterlagen bis zum {c.later(1)} ein. Sie können sie auch über "
        "jobcenter.digital hochladen oder in den Hausbriefkasten werfen.",
        "Wenn Sie die Unterlagen nicht einreichen, können die Leistungen nach § 66 SGB I ganz "
        "oder teilweise versagt werden, bis Sie die Mitwirkung nachholen.",
        c.signoff_jc(),
    )


def wba(c):
    body = [
        c.citizen_header(),
        f"Weiterbewilligungsantrag – BG-Nummer {c.case}",
        "Sehr geehrte Damen und Herren,",
        "hiermit beantrage ich die Weiterbewilligung der Leistungen nach dem SGB II für mich"
        + (" und meine Kinder." if c.children > 1 else " und mein Kind." if c.children else "."),
        pick([
            "An meinen Verhältnissen hat sich nichts geändert.",
            f"Seit {month_name(c.month)} arbeite ich als {pick(EMPLOYERS)[2]} im {minijob()}. "
            "Die Lohnabrechnungen lege ich bei.",
            "Meine Miete hat sich erhöht, die neue Mietbescheinigung liegt bei.",
            f"Ich arbeite jetzt teilweise im {homeoffice()} für {pick(EMPLOYERS)[0]}, die "
            "Gehaltsabrechnung liegt bei.",
        ]),
        "Anbei erhalten Sie:\n" + "\n".join(f"- {x}" for x in R.sample([
            "den ausgefüllten Weiterbewilligungsantrag (WBA)",
            "Kontoauszüge der letzten drei Monate",
            "die Mietbescheinigung",
            "die Lohnabrechnungen",
            "den Kindergeldbescheid",
            "die Heizkostenabrechnung",
            "die Bescheinigung der Krankenkasse",
        ], 3)),
        maybe(0.5, f"Für Rückfragen erreichen Sie mich per {email()} unter "
              f"{c.first.lower()}.{c.last.lower()}@web.de".replace("é", "e").replace("í", "i")
              .replace("ë", "e").replace("ç", "c").replace("ü", "ue").replace("ö", "oe")
              .replace("ä", "ae") + "."),
        c.signoff_citizen(),
    ]
    text = letter(*body)
    if R.random() < 0.3:
        text = no_umlauts(text)
    return "Weiterbewilligungsantrag", text


def widerspruch(c):
    grund = pick([
        "Die Heizkosten wurden nicht in voller Höhe übernommen, obwohl die Heizkostenabrechnung "
        "die tatsächlichen Kosten belegt.",
        "Das Einkommen aus meinem Minijob wurde doppelt angerechnet. Im Monat "
        f"{month_name(c.month)} habe ich nur {euro(150, 520)} verdient.",
        "Der Mehrbedarf für Alleinerziehende wurde nicht berücksichtigt, obwohl meine Kinder bei "
        "mir leben.",
        "Die Kosten der Unterkunft wurden auf die angemessene Miete abgesenkt, ohne dass ich eine "
        "Kostensenkungsaufforderung erhalten habe.",
        "Die Leistungsminderung ist nicht gerechtfertigt. Ich war an dem Tag krank und habe die "
        "Arbeitsunfähigkeitsbescheinigung sofort eingereicht.",
        "Die Erstattungsforderung ist falsch berechnet, das Krankengeld wurde für einen Monat zu "
        "viel angesetzt.",
    ])
    text = letter(
        c.citizen_header(),
        f"Widerspruch gegen den Bescheid vom {c.date()}\nBG-Nummer: {c.case}",
        "Sehr geehrte Damen und Herren,",
        "hiermit lege ich Widerspruch gegen den oben genannten Bescheid ein.",
        "Begründung: " + grund,
        pick(["Ich bitte um Überprüfung und um einen neuen Bescheid.",
              "Bitte prüfen Sie den Bescheid erneut und teilen Sie mir das Ergebnis schriftlich mit.",
              "Eine ausführliche Begründung reiche ich nach, sobald ich Akteneinsicht hatte."]),
        maybe(0.4, "Mich unterstützt dabei die Sozialberatung der Diakonie. Eine Vollmacht liegt bei."),
        c.signoff_citizen(),
    )
    if R.random() < 0.25:
        text = no_umlauts(text)
    return "Widerspruch", text


def widerspruchsbescheid(c):
    ergebnis = pick(["zurückgewiesen", "stattgegeben", "teilweise stattgegeben"])
    return "Widerspruchsbescheid", letter(
        c.jc_header(),
        "Widerspruchsbescheid",
        c.geehrte,
        f"Ihr Widerspruch vom {c.date()} gegen den Bescheid vom {c.date()} wird {ergebnis}.",
        "Begründung:",
        pick([
            "Die Heizkosten sind nur in angemessener Höhe zu übernehmen. Nach dem bundesweiten "
            "Heizspiegel sind die geltend gemachten Kosten unangemessen hoch.",
            "Das Einkommen wurde zutreffend angerechnet. Maßgeblich ist der Zufluss im jeweiligen "
            "Monat.",
            "Der Mehrbedarf steht Ihnen zu, da Sie mit Ihren minderjährigen Kindern "
            "zusammenleben und allein für deren Pflege und Erziehung sorgen.",
            "Eine Kostensenkungsaufforderung war Ihnen zugegangen; die Frist von sechs Monaten ist "
            "abgelaufen.",
        ]),
        "Die Kosten des Widerspruchsverfahrens werden "
        + ("nicht erstattet." if ergebnis == "zurückgewiesen" else "auf Antrag erstattet."),
        "Rechtsbehelfsbelehrung: Gegen diesen Bescheid kann innerhalb eines Monats nach Bekanntgabe "
        f"Klage beim Sozialgericht {'Itzehoe' if 'Pinneberg' in c.jobcenter else 'Köln'} erhoben werden.",
        c.signoff_jc(),
    )


def mietbescheinigung(c):
    lord = pick(c.region['landlords'])
    kalt = euro(320, 720)
    return "Mietbescheinigung", letter(
        f"{lord}\n{pick(STREETS)} {R.randint(1, 60)}\n{c.plz} {c.town}",
        f"Mietbescheinigung\n(zur Vorlage beim {c.jobcenter})",
        f"Mieter/in: {c.name}, geboren am {c.birth}\nAnschrift der Wohnung: {c.street}, {c.plz} {c.town}",
        f"Wohnfläche: {R.randint(32, 95)} m², Zimmer: {R.randint(1, 4)}, Geschoss: {R.randint(0, 5)}\n"
        f"Mietbeginn: {date(R.randint(2008, 2024))}\n"
        f"Anzahl der Personen im Haushalt: {c.children + 1}",
        f"Monatliche Kaltmiete (Grundmiete): {kalt}\n"
        f"Vorauszahlung Betriebskosten (kalte Nebenkosten): {euro(80, 220)}\n"
        f"Vorauszahlung Heizkosten: {euro(50, 160)}\n"
        f"davon Warmwasser: {pick(['zentral über die Heizung', 'dezentral über Durchlauferhitzer'])}\n"
        f"Garage oder Stellplatz: {pick(['nein', 'nein', 'ja, ' + euro(25, 60)])}",
        f"Die Heizung erfolgt mit {pick(['Gas', 'Fernwärme', 'Öl', 'Wärmepumpe'])}.",
        maybe(0.4, f"Es bestehen Mietrückstände in Höhe von {euro(300, 1800)}.",
              "Es bestehen keine Mietrückstände."),
        f"Die Miete ist zu überweisen auf das Konto der {lord}.",
        f"{c.town}, {c.date()}\nUnterschrift und Stempel des Vermieters",
    )


def mietvertrag(c):
    lord = pick(c.region['landlords'])
    return "Mietvertrag", letter(
        "Mietvertrag über Wohnraum (Auszug, Seiten 1 und 2)",
        f"Zwischen {lord} – nachfolgend Vermieter –\nund {c.name}, bisher wohnhaft in "
        f"{pick(['Hamburg-Altona', 'Kassel', 'Köln-Mülheim', 'Leverkusen', c.town])} – nachfolgend Mieter –\n"
        "wird folgender Mietvertrag geschlossen:",
        f"§ 1 Mietsache: Vermietet wird die Wohnung im {R.randint(1, 4)}. Obergeschoss rechts, "
        f"{c.street}, {c.plz} {c.town}, bestehend aus {R.randint(1, 4)} Zimmern, Küche, Bad und "
        f"Balkon, Wohnfläche ca. {R.randint(35, 90)} m². Mitvermietet wird ein Kellerraum.",
        f"§ 2 Mietzeit: Das Mietverhältnis beginnt am {c.later(1)} und läuft auf unbestimmte Zeit.",
        f"§ 3 Miete: Die monatliche Grundmiete beträgt {euro(320, 720)}. Hinzu kommen "
        f"Vorauszahlungen auf die Betriebskosten von {euro(90, 230)} und auf die Heizkosten von "
        f"{euro(50, 150)}. Über die Vorauszahlungen wird jährlich abgerechnet.",
        f"§ 4 Mietsicherheit: Der Mieter leistet eine Kaution in Höhe von {euro(900, 2100)}. "
        "Die Kaution kann in drei Monatsraten gezahlt werden.",
        "§ 5 Schönheitsreparaturen: Die Wohnung wird renoviert übergeben.",
        f"{c.town}, {c.date()}\nVermieter                    Mieter",
    )


def nebenkostenabrechnung(c):
    lord = pick(c.region['landlords'])
    rows = [(x, euro(20, 420)) for x in R.sample(
        ["Grundsteuer", "Wasser und Abwasser", "Müllabfuhr", "Hausreinigung", "Gartenpflege",
         "Allgemeinstrom", "Schornsteinfeger", "Gebäudeversicherung", "Hauswart",
         "Kabelanschluss"], 6)]
    saldo = pick(["Nachzahlung", "Guthaben"])
    return "Nebenkostenabrechnung", letter(
        f"{lord}\n{pick(STREETS)} {R.randint(1, 60)}, {c.plz} {c.town}",
        f"{c.herrn}\n{c.name}\n{c.street}\n{c.plz} {c.town}",
        f"Betriebskostenabrechnung / {nka()} für den Zeitraum 01.01.{c.year - 1} bis 31.12.{c.year - 1}",
        c.geehrte,
        "für Ihre Wohnung rechnen wir die Betriebskosten wie folgt ab. Verteilerschlüssel ist die "
        "Wohnfläche, bei Wasser der Verbrauch laut Zähler.",
        "\n".join(f"{a}: {b}" for a, b in rows),
        f"Ihre Vorauszahlungen: {euro(900, 2600)}\n{saldo}: {euro(30, 480)}",
        ("Bitte überweisen Sie die Nachzahlung bis zum " + c.later(1) + ". Empfänger von Bürgergeld "
         "können die Nachzahlung beim Jobcenter einreichen.") if saldo == "Nachzahlung"
        else "Das Guthaben überweisen wir auf Ihr Konto.",
        maybe(0.5, f"Die Heizkostenabrechnung erstellt die Firma Techem gesondert. Die monatliche "
              f"Vorauszahlung für Nebenkosten ändert sich ab {c.later(2)} auf {euro(100, 260)}."),
        "Mit freundlichen Grüßen\n" + lord,
    )


def mieterhoehung(c):
    lord = pick(c.region['landlords'])
    return "Mieterhöhung", letter(
        f"{lord}\n{c.plz} {c.town}",
        f"{c.herrn}\n{c.name}\n{c.street}\n{c.plz} {c.town}",
        f"{c.town}, {c.date()}",
        pick(["Mieterhöhungsverlangen nach § 558 BGB", "Erhöhung der Miete zum " + c.later(3)]),
        c.geehrte,
        f"die Kaltmiete Ihrer Wohnung beträgt derzeit {euro(320, 600)}. Sie ist seit mehr als "
        "fünfzehn Monaten unverändert. Nach dem Mietspiegel der Stadt beträgt die ortsübliche "
        f"Vergleichsmiete {R.randint(7, 11)},{R.randint(10, 99)} Euro je Quadratmeter.",
        f"Wir bitten Sie daher, einer Erhöhung der Grundmiete auf {euro(360, 720)} ab dem "
        f"{c.later(3)} zuzustimmen. Die Vorauszahlungen für Betriebs- und Heizkosten bleiben "
        "unverändert.",
        "Bitte senden Sie uns die beigefügte Zustimmungserklärung unterschrieben zurück.",
        "Mit freundlichen Grüßen\n" + lord,
    )


def umzug(c):
    neu = f"{pick(STREETS)} {R.randint(1, 90)}, {c.plz} {c.town}"
    text = letter(
        c.citizen_header(),
        f"Antrag auf Zusicherung zum Umzug\nBG-Nr. {c.case}",
        "Sehr geehrte Damen und Herren,",
        pick([
            f"ich möchte in eine neue Wohnung umziehen: {neu}.",
            f"für meine Familie habe ich eine größere Wohnung gefunden ({neu}).",
        ]),
        pick([
            "Meine jetzige Wohnung ist zu klein, seit mein zweites Kind geboren ist.",
            "In der jetzigen Wohnung ist seit Monaten Schimmel im Schlafzimmer, der Vermieter "
            "unternimmt nichts.",
            f"Ich habe eine Arbeit in {pick(['Hamburg', 'Köln', 'Leverkusen', 'Kassel', 'Düsseldorf'])} "
            "in Aussicht und möchte näher an den Arbeitsort ziehen.",
            "Die Wohnung im dritten Stock ohne Aufzug kann ich wegen meiner Knieprobleme nicht mehr "
            "nutzen.",
        ]),
        f"Die neue Kaltmiete beträgt {euro(350, 690)}, die Nebenkosten {euro(90, 200)} und die "
        f"Heizkosten {euro(60, 140)}. Das Wohnungsangebot lege ich bei.",
        "Ich beantrage:\n- die Zusicherung zur Übernahme der neuen Unterkunftskosten,\n"
        f"- die Übernahme der Mietkaution von {euro(900, 2000)} als Darlehen,\n"
        "- die Übernahme der Umzugskosten (Transporter und Helfer).",
        maybe(0.4, f"Bitte antworten Sie mir per {email()}, weil ich tagsüber im "
              f"{homeoffice()} arbeite und die Post oft spät lese."),
        c.signoff_citizen(),
    )
    if R.random() < 0.25:
        text = no_umlauts(text)
    return "Antrag Umzug", text


def kaution_darlehen(c):
    return "Bescheid Darlehen Mietkaution", letter(
        c.jc_header(),
        "Bescheid über ein Darlehen für die Mietkaution",
        c.geehrte,
        f"auf Ihren Antrag vom {c.date()} übernehme ich die Mietkaution für Ihre neue Wohnung in "
        f"Höhe von {euro(900, 2100)} als Darlehen nach § 22 Absatz 6 SGB II.",
        "Der Betrag wird direkt an Ihren Vermieter überwiesen. Der Anspruch auf Rückzahlung der "
        "Kaution gegen den Vermieter wird an das Jobcenter abgetreten.",
        "Das Darlehen wird ab dem Folgemonat durch monatliche Aufrechnung in Höhe von 10 Prozent "
        "des Regelbedarfs getilgt.",
        maybe(0.5, "Die Umzugskosten werden in Höhe der Kosten eines Mietwagens übernommen; bitte "
              "reichen Sie die Rechnung nach dem Umzug ein."),
        "Rechtsbehelfsbelehrung: Gegen diesen Bescheid kann innerhalb eines Monats Widerspruch "
        "erhoben werden.",
        c.signoff_jc(),
    )


def strom(c):
    sw = pick(c.region["stadtwerke"])
    kind = R.random()
    if kind < 0.5:
        return "Stromrechnung", letter(
            f"{sw} · Kundenservice",
            f"{c.herrn}\n{c.name}\n{c.street}\n{c.plz} {c.town}",
            f"Kundennummer {R.randint(1000000, 9999999)} · Zählernummer {R.randint(100000, 999999)}",
            f"Jahresrechnung Strom {c.year - 1}",
            c.geehrte,
            f"Ihr Verbrauch im Abrechnungszeitraum betrug {R.randint(1200, 4200)} kWh. Daraus ergibt "
            f"sich ein Rechnungsbetrag von {euro(400, 1500)}. Ihre Abschläge betrugen "
            f"{euro(350, 1300)}.",
            f"Es ergibt sich eine Nachzahlung von {euro(40, 480)}. Ihr neuer monatlicher Abschlag "
            f"beträgt ab {c.later(1)} {euro(35, 130)}.",
            "Tipp: Mit unserem Energiespar-Check sparen Sie bis zu 15 Prozent. Mehr dazu online.",
            "Ihr Team von " + sw,
        )
    if kind < 0.8:
        return "Sperrandrohung Strom", letter(
            f"{sw}\nForderungsmanagement",
            f"{c.herrn}\n{c.name}\n{c.street}\n{c.plz} {c.town}",
            "Androhung der Unterbrechung der Stromversorgung",
            c.geehrte,
            f"trotz Mahnung ist der Betrag von {euro(180, 900)} aus Ihren Abschlägen offen. Wenn Sie "
            f"ihn nicht bis zum {c.later(1)} zahlen, unterbrechen wir die Stromversorgung Ihrer "
            "Wohnung nach § 19 StromGVV frühestens acht Werktage nach dieser Ankündigung.",
            "Sie können eine Abwendungsvereinbarung mit Ratenzahlung mit uns abschließen. Bei "
            "Fragen zu Stromschulden hilft auch die Schuldnerberatung.",
            "Mit freundlichen Grüßen\n" + sw,
        )
    text = letter(
        c.citizen_header(),
        f"Antrag auf Übernahme von Stromschulden als Darlehen – BG {c.case}",
        "Sehr geehrte Damen und Herren,",
        f"mein Stromanbieter ({sw}) droht mit der Sperre, weil ich Abschläge von "
        f"{euro(200, 900)} nicht bezahlen konnte. Die Sperrandrohung lege ich bei.",
        f"In meinem Haushalt leben {c.children} Kinder. Ohne Strom können wir nicht kochen und "
        "der Kühlschrank fällt aus." if c.children else
        "Ohne Strom kann ich nicht kochen und mein Kühlschrank fällt aus.",
        "Ich bitte darum, die Rückstände als Darlehen zu übernehmen. Die Rückzahlung in Raten "
        "ist mir recht. Einen Termin bei der Schuldnerberatung habe ich bereits vereinbart.",
        c.signoff_citizen(),
    )
    if R.random() < 0.3:
        text = no_umlauts(text)
    return "Antrag Stromschulden", text


def arbeitsvertrag(c):
    emp, dept, job = pick(EMPLOYERS)
    mj = R.random() < 0.4
    return "Arbeitsvertrag", letter(
        f"{emp}",
        "Arbeitsvertrag" + (f" für eine geringfügige Beschäftigung ({minijob()})" if mj else ""),
        f"zwischen {emp} (Arbeitgeber) und {c.name}, geboren am {c.birth}, wohnhaft "
        f"{c.street}, {c.plz} {c.town} (Arbeitnehmer/in).",
        f"§ 1 Beginn und Tätigkeit: Das Arbeitsverhältnis beginnt am {c.later(1)}. Die "
        f"Arbeitnehmerin / der Arbeitnehmer wird als {job} im Bereich {dept} eingestellt. "
        "Die ersten sechs Monate gelten als Probezeit.",
        f"§ 2 Arbeitszeit: Die wöchentliche Arbeitszeit beträgt {pick([10, 15, 20, 25, 30, 39, 40])} "
        "Stunden." + maybe(0.3, f" Nach Absprache kann bis zu zwei Tage pro Woche im "
                          f"{homeoffice()} gearbeitet werden."),
        f"§ 3 Vergütung: Der Stundenlohn beträgt {pick(['12,82', '13,50', '14,20', '15,75', '17,10'])} "
        "Euro brutto. Die Vergütung wird am Monatsende auf das Konto überwiesen."
        + (" Die monatliche Vergütung übersteigt 556 Euro nicht." if mj else ""),
        "§ 4 Urlaub: Der Urlaubsanspruch beträgt 24 Werktage im Kalenderjahr.",
        "§ 5 Kündigung: Nach der Probezeit gelten die gesetzlichen Kündigungsfristen.",
        f"{c.town}, {c.date()}\nArbeitgeber                    Arbeitnehmer/in",
    )


def lohnabrechnung(c):
    emp, dept, job = pick(EMPLOYERS)
    brutto = R.randint(450, 2900)
    if R.random() < 0.5:
        return "Lohnabrechnung", letter(
            f"{emp} · Personalabteilung",
            f"Entgeltabrechnung {month_name(c.month)} {c.year}",
            f"Personalnummer {R.randint(1000, 9999)} · {c.name} · {job}",
            f"Bruttoentgelt: {brutto},00 Euro\nSteuerklasse: {pick(['I', 'II', 'III', 'V'])}\n"
            f"Lohnsteuer: {euro(0, 120)}\nKrankenversicherung AN-Anteil: {euro(20, 220)}\n"
            f"Rentenversicherung AN-Anteil: {euro(20, 260)}\n"
            f"Arbeitslosenversicherung: {euro(3, 40)}\nPflegeversicherung: {euro(5, 60)}",
            f"Nettoentgelt: {euro(380, 2100)}\nAuszahlungsbetrag: überwiesen am {c.later(1)}",
            maybe(0.3, "Hinweis: Diese Gehaltsabrechnung ersetzt keine Arbeitsbescheinigung."),
        )
    return "Einkommensbescheinigung", letter(
        f"Einkommensbescheinigung nach § 58 SGB II\n(vom Arbeitgeber auszufüllen und an das "
        f"{c.jobcenter} zu senden)",
        f"Arbeitnehmer/in: {c.name}, geboren am {c.birth}\nBG-Nummer: {c.case}",
        f"Arbeitgeber: {emp}\nBeschäftigt als: {job}\nBeschäftigt seit: {c.date()}",
        f"Abrechnungsmonat: {month_name(c.month)} {c.year}\nBruttoarbeitsentgelt: {brutto},00 Euro\n"
        f"Nettoarbeitsentgelt: {euro(380, 2100)}\nTag der Auszahlung: {c.later(1)}",
        f"Einmalzahlungen (Weihnachtsgeld, Urlaubsgeld): {pick(['keine', euro(100, 600)])}",
        "Die Angaben wurden nach bestem Wissen gemacht. Der Arbeitgeber ist nach § 57 SGB II zur "
        "Auskunft verpflichtet.",
        f"Ort, Datum: {c.town}, {c.date()}\nStempel und Unterschrift des Arbeitgebers",
    )


def kuendigung(c):
    emp, dept, job = pick(EMPLOYERS)
    return "Kündigung", letter(
        f"{emp}\nPersonalabteilung",
        f"{c.herrn}\n{c.name}\n{c.street}\n{c.plz} {c.town}",
        f"{c.town}, {c.date()}",
        pick(["Kündigung Ihres Arbeitsverhältnisses", "Ordentliche Kündigung"]),
        c.geehrte,
        f"hiermit kündigen wir das mit Ihnen bestehende Arbeitsverhältnis ordentlich und "
        f"fristgerecht zum {c.later(1)}, hilfsweise zum nächstmöglichen Termin.",
        pick([
            "Grund ist der Wegfall Ihres Arbeitsplatzes: der Standort wird geschlossen.",
            "Die Kündigung erfolgt innerhalb der Probezeit.",
            "Aufgrund der schlechten Auftragslage müssen wir Personal abbauen.",
            "",
        ]),
        "Wir weisen Sie darauf hin, dass Sie sich spätestens drei Tage nach Erhalt dieser "
        "Kündigung bei der Agentur für Arbeit arbeitsuchend melden müssen.",
        "Ihr Arbeitszeugnis und die Arbeitsbescheinigung senden wir Ihnen nach dem Ende des "
        "Arbeitsverhältnisses zu. Resturlaub ist bis dahin zu nehmen.",
        "Mit freundlichen Grüßen\n" + emp,
    )


def arbeitszeugnis(c):
    emp, dept, job = pick(EMPLOYERS)
    er = "sie" if c.female else "er"
    Er = er.capitalize()
    ihr = "ihr" if c.female else "ihm"
    kind = pick(["Arbeitszeugnis", "Zwischenzeugnis", "Qualifiziertes Arbeitszeugnis"])
    return kind, letter(
        f"{emp}",
        kind,
        f"{c.anrede} {c.name}, geboren am {c.birth}, war vom {date(R.randint(2016, 2022))} bis zum "
        f"{c.date()} in unserem Unternehmen als {job} im Bereich {dept} beschäftigt.",
        f"Zu {'ihren' if c.female else 'seinen'} Aufgaben gehörten "
        + pick(["die Annahme von Kundenanrufen, die Pflege der Kundendaten und die Bearbeitung "
                "von Reklamationen",
                "das Kommissionieren von Waren, die Bedienung von Flurförderzeugen und die "
                "Inventur",
                "die Grundpflege und Unterstützung unserer Klientinnen und Klienten im Alltag",
                "die Reinigung von Büro- und Sanitärräumen nach Reinigungsplan",
                "der Verkauf, die Kassenabrechnung und die Warenpräsentation"]) + ".",
        f"{Er} erledigte die übertragenen Aufgaben stets zu unserer "
        + pick(["vollsten Zufriedenheit", "vollen Zufriedenheit", "Zufriedenheit"])
        + f". {Er} war zuverlässig, pünktlich und im Team beliebt.",
        (f"{Er} verlässt uns auf eigenen Wunsch. Wir danken {ihr} für die Zusammenarbeit und "
         "wünschen alles Gute." if kind != "Zwischenzeugnis"
         else "Dieses Zwischenzeugnis wird auf Wunsch des Mitarbeiters wegen eines Wechsels der "
              "Vorgesetzten erstellt."),
        f"{c.town}, {c.date()}\n{emp}, Geschäftsführung",
    )


def bewerbungsnachweis(c):
    rows = []
    for _ in range(R.randint(4, 7)):
        emp, dept, job = pick(EMPLOYERS)
        how = pick([f"per {email()}", "online über das Portal", "persönlich", "schriftlich",
                    "telefonisch"])
        res = pick(["Absage", "keine Antwort", "Vorstellungsgespräch am " + c.later(1), "offen",
                    "Probearbeit vereinbart"])
        rows.append(f"{c.date()} | {emp} | {job} | {how} | {res}")
    extra = pick([
        f"Außerdem habe ich mich auf drei Stellen im {callcenter()} beworben, bei denen auch "
        f"{homeoffice()} möglich ist.",
        f"Eine Stelle als {minijob()} im Einzelhandel ist mir zusätzlich angeboten worden.",
        "Ich habe mich zusätzlich bei zwei Zeitarbeitsfirmen registriert.",
        "",
    ])
    text = letter(
        c.citizen_header(),
        f"Nachweis der Eigenbemühungen / Bewerbungen – BG-Nummer {c.case}",
        f"Zeitraum: {month_name(c.month)} {c.year}",
        "Datum | Arbeitgeber | Stelle | Art der Bewerbung | Ergebnis\n" + "\n".join(rows),
        extra,
        c.signoff_citizen(),
    )
    if R.random() < 0.2:
        text = no_umlauts(text)
    return "Bewerbungsnachweis", text


def vermittlungsvorschlag(c):
    emp, dept, job = pick(EMPLOYERS)
    return "Vermittlungsvorschlag", letter(
        c.jc_header(),
        "Vermittlungsvorschlag",
        c.geehrte,
        f"die Firma {emp} sucht eine/n {job} im Bereich {dept}. Ich schlage Ihnen diese Stelle vor.",
        f"Arbeitsort: {pick([c.town, 'Hamburg', 'Köln', 'Leverkusen', 'Norderstedt', 'Pinneberg', 'Bergisch Gladbach'])}\n"
        f"Arbeitszeit: {pick(['Vollzeit', 'Teilzeit 25 Stunden', 'Schichtdienst', 'Vollzeit, Wochenenddienst'])}\n"
        f"Beginn: {c.later(1)}"
        + maybe(0.35, f"\nBesonderheit: nach der Einarbeitung teilweise {homeoffice()} möglich"),
        f"Bitte bewerben Sie sich bis zum {c.later(0)} schriftlich oder per {email()} und "
        "teilen Sie mir das Ergebnis auf dem beigefügten Antwortbogen mit.",
        "Rechtsfolgenbelehrung: Weigern Sie sich ohne wichtigen Grund, die Arbeit aufzunehmen, "
        "kann Ihr Bürgergeld gemindert werden.",
        c.signoff_jc(),
    )


def massnahme(c):
    tr = pick(c.region['traeger'])
    what = pick([
        (coaching(), "Sie erarbeiten mit einem Coach Ihre Bewerbungsunterlagen, üben "
         "Vorstellungsgespräche und erhalten Feedback zu Ihrem Auftreten."),
        ("Workshop „Digitale Bewerbung“", "Im Workshop lernen Sie, Bewerbungen online und per "
         f"{email()} zu versenden, einen Lebenslauf am Computer zu gestalten und Jobportale zu "
         "nutzen."),
        ("Maßnahme zur Aktivierung und beruflichen Eingliederung", "Die Maßnahme umfasst "
         "Einzelcoaching, Gruppenangebote und ein Praktikum in einem Betrieb."),
        ("Jobcoaching für Alleinerziehende", "Das Jobcoaching findet in Teilzeit statt und "
         "berücksichtigt die Betreuungszeiten Ihrer Kinder."),
    ])
    return "Zuweisung Maßnahme", letter(
        c.jc_header(),
        f"Zuweisung in eine Maßnahme: {what[0]}",
        c.geehrte,
        f"wie besprochen weise ich Sie der Maßnahme „{what[0]}“ beim Träger {tr} zu.",
        what[1],
        f"Beginn: {c.later(1)}, Dauer: {R.randint(4, 16)} Wochen, "
        f"{pick(['montags bis freitags 8:30 bis 12:30 Uhr', 'dienstags und donnerstags 9 bis 13 Uhr', 'täglich 9 bis 14 Uhr'])}.\n"
        f"Ort: {tr}, {pick(STREETS)} {R.randint(1, 50)}, {c.plz} {c.town}"
        + maybe(0.3, f" (einzelne Termine als {onlinetermin()})"),
        "Fahrtkosten werden auf Antrag erstattet. Kinderbetreuungskosten können übernommen werden.",
        "Rechtsfolgenbelehrung: Brechen Sie die Maßnahme ohne wichtigen Grund ab, kann Ihr "
        "Bürgergeld gemindert werden.",
        c.signoff_jc(),
    )


def teilnahmebestaetigung(c):
    tr = pick(c.region['traeger'])
    what = pick([coaching(), "Workshop Digitale Bewerbung", "Aktivierungsmaßnahme Perspektive 50plus",
                 "Gabelstaplerschein", "Erste-Hilfe-Kurs", "Computerkurs für Einsteiger",
                 "Kurs Pflegebasis", "Hygieneschulung nach Infektionsschutzgesetz"])
    return "Teilnahmebestätigung", letter(
        tr,
        "Teilnahmebestätigung",
        f"Hiermit bestätigen wir, dass {c.anrede} {c.name}, geboren am {c.birth}, in der Zeit vom "
        f"{c.date()} bis {c.later(1)} an folgender Veranstaltung teilgenommen hat: {what}.",
        f"Die Teilnahme war {pick(['regelmäßig', 'regelmäßig und aktiv', 'an 18 von 20 Tagen'])}. "
        + pick(["Fehlzeiten waren entschuldigt.", "Es gab keine Fehlzeiten.", ""]),
        pick(["Inhalte: Lebenslauf, Anschreiben, Online-Bewerbung, Selbstpräsentation.",
              "Inhalte: Grundlagen am PC, Textverarbeitung, E-Mail, Internetrecherche.",
              "Inhalte: Theorie und Praxis, Abschlussprüfung bestanden.",
              "Inhalte: Arbeitssicherheit, Unfallverhütung, praktische Übungen."]),
        f"{c.town}, {c.date()}\n{tr}",
    )


def sprachkurs(c):
    lvl = pick(["A2", "B1", "B2"])
    kind = R.random()
    if kind < 0.4:
        return "Zulassung Integrationskurs", letter(
            "Bundesamt für Migration und Flüchtlinge\nRegionalstelle",
            f"{c.herrn}\n{c.name}\n{c.street}\n{c.plz} {c.town}",
            "Bestätigung der Verpflichtung zur Teilnahme am Integrationskurs",
            c.geehrte,
            f"auf Veranlassung des {c.jobcenter} sind Sie zur Teilnahme an einem Integrationskurs "
            "verpflichtet. Der Kurs besteht aus einem Sprachkurs und einem Orientierungskurs.",
            f"Bitte melden Sie sich innerhalb von sechs Wochen bei einem Kursträger an, zum Beispiel "
            f"bei der {pick(['Volkshochschule Pinneberg', 'Sprachschule Lingua Plus', 'VHS Bergisch Gladbach'])}.",
            "Kosten: Sie sind von den Kurskosten befreit. Fahrtkosten können erstattet werden.",
            "Mit freundlichen Grüßen\nIm Auftrag\nBundesamt für Migration und Flüchtlinge",
        )
    if kind < 0.7:
        return "Zertifikat Sprachkurs", letter(
            pick(c.region['traeger']),
            f"Zertifikat Deutsch {lvl}",
            f"{c.name}, geboren am {c.birth} in "
            f"{pick(['Aleppo', 'Kabul', 'Kiew', 'Izmir', 'Breslau', 'Bukarest', 'Sevilla', 'Asmara'])}, "
            f"hat am {c.date()} die Prüfung Deutsch-Test für Zuwanderer auf dem Niveau {lvl} "
            "bestanden.",
            f"Hören: {R.randint(12, 25)} Punkte, Lesen: {R.randint(12, 25)} Punkte, Schreiben: "
            f"{pick(['gut', 'sehr gut', 'befriedigend'])}, Sprechen: {pick(['gut', 'sehr gut'])}",
            f"Der {deutschkurs()} umfasste {pick([300, 400, 600, 700])} Unterrichtseinheiten.",
            f"{c.town}, {c.date()}",
        )
    text = letter(
        c.citizen_header(),
        f"Anmeldung zum {deutschkurs()} – BG-Nummer {c.case}",
        "Sehr geehrte Damen und Herren,",
        f"ich habe einen Platz im {deutschkurs()} ({lvl}) bei der "
        f"{pick(['Volkshochschule', 'Sprachschule Lingua Plus', 'Akademie für Arbeit und Bildung'])} "
        f"bekommen. Der Kurs beginnt am {c.later(1)} und findet vormittags statt.",
        f"Ich bitte um Übernahme der Fahrtkosten. Meine {kitagebuehren()} für die Betreuung meines "
        "Kindes in dieser Zeit kann ich nicht allein bezahlen." if c.children else
        "Ich bitte um Übernahme der Fahrtkosten für die Monatskarte.",
        maybe(0.4, "Kann ich den Kurs auch online machen? Ich habe einen Laptop und WLAN zu Hause."),
        c.signoff_citizen(),
    )
    return "Anmeldung Sprachkurs", text


def schulbescheinigung(c):
    school = pick(c.region['schools'])
    kid = c.kids[0] if c.kids else pick(FIRST_F + FIRST_M)
    return "Schulbescheinigung", letter(
        f"{school}\n{pick(STREETS)} {R.randint(1, 40)}\n{c.plz} {c.town}",
        "Schulbescheinigung",
        f"Hiermit wird bescheinigt, dass {kid} {c.last}, geboren am {date(R.randint(2008, 2018))}, "
        f"wohnhaft {c.street}, {c.plz} {c.town}, im Schuljahr {c.year}/{c.year + 1} die Klasse "
        f"{R.randint(1, 12)}{pick(['a', 'b', 'c'])} unserer Schule besucht.",
        pick(["Der Schulbesuch endet voraussichtlich mit Ablauf des Schuljahres.",
              f"Voraussichtliches Ende der Schulzeit: {c.year + R.randint(1, 6)}.",
              "Die Schülerin / der Schüler nimmt am Ganztagsangebot teil."]),
        "Diese Bescheinigung wird zur Vorlage beim Jobcenter und bei der Familienkasse ausgestellt.",
        f"{c.town}, {c.date()}\nSchulleitung\n(Siegel)",
    )


def but(c):
    kid = c.kids[0] if c.kids else pick(FIRST_F + FIRST_M)
    school = pick(c.region['schools'])
    what = pick([
        ("Klassenfahrt", f"die mehrtägige Klassenfahrt nach {pick(['Sylt', 'Berlin', 'in den Harz', 'Amrum', 'in die Eifel'])} "
         f"vom {c.later(2)} bis {c.later(2)}, Kosten {euro(180, 420)}"),
        ("Schulausflug", f"den eintägigen Schulausflug in den Zoo am {c.later(1)}, Kosten {euro(8, 25)}"),
        ("Mittagessen", f"das gemeinschaftliche Mittagessen in der Mensa der {school}, "
         f"{euro(3, 4)} je Essen"),
        ("Lernförderung", f"Lernförderung (Nachhilfe) in Mathematik und Deutsch, da die Versetzung "
         "gefährdet ist; die Bestätigung der Lehrkraft liegt bei"),
        ("Schülerbeförderung", "die Monatskarte für den Schulweg, da die Schule mehr als vier "
         "Kilometer entfernt ist"),
    ])
    text = letter(
        c.citizen_header(),
        f"Antrag auf Leistungen für Bildung und Teilhabe ({what[0]}) – BG-Nummer {c.case}",
        "Sehr geehrte Damen und Herren,",
        f"für {'meine Tochter' if kid in FIRST_F else 'meinen Sohn'} {kid} {c.last}, "
        f"{'Schülerin' if kid in FIRST_F else 'Schüler'} der {school}, "
        f"beantrage ich Leistungen für Bildung und Teilhabe, und zwar für {what[1]}.",
        "Die Bescheinigung der Schule liegt bei. Bitte überweisen Sie den Betrag direkt an die "
        "Schule bzw. den Anbieter.",
        maybe(0.5, f"Außerdem bitte ich um den Zuschuss für den Sportverein "
              f"(15 Euro monatlich, Teilhabe am sozialen und kulturellen Leben)."),
        c.signoff_citizen(),
    )
    if R.random() < 0.3:
        text = no_umlauts(text)
    return "Antrag Bildung und Teilhabe", text


def kita(c):
    kid = c.kids[0] if c.kids else pick(FIRST_F + FIRST_M)
    if R.random() < 0.5:
        return "Bescheid Kita-Beitrag", letter(
            f"{'Stadtverwaltung ' + c.town if R.random() < 0.5 else 'Kreisverwaltung ' + c.region['kreis']}\n"
            "Fachdienst Kindertagesbetreuung",
            f"{c.herrn}\n{c.name}\n{c.street}\n{c.plz} {c.town}",
            "Festsetzung des Elternbeitrags für die Kindertagesbetreuung",
            c.geehrte,
            f"für die Betreuung Ihres Kindes {kid} in der Kindertagesstätte "
            f"{pick(['Regenbogen', 'Pusteblume', 'Sonnenschein', 'Wirbelwind'])} werden die "
            f"{kitagebuehren()} ab {c.later(1)} wie folgt festgesetzt:",
            f"Betreuungsumfang: {pick([25, 35, 45])} Stunden pro Woche\n"
            f"Elternbeitrag: {pick(['0,00 Euro (Befreiung wegen Bezug von Bürgergeld)', euro(80, 240)])}\n"
            f"Verpflegungsgeld: {euro(40, 70)} monatlich",
            "Beziehen Sie Bürgergeld, Wohngeld oder Kinderzuschlag, entfällt der Elternbeitrag. "
            "Bitte legen Sie den aktuellen Bescheid vor.",
            "Mit freundlichen Grüßen\nIm Auftrag",
        )
    text = letter(
        c.citizen_header(),
        f"{kitagebuehren()} und Betreuung – BG-Nummer {c.case}",
        "Sehr geehrte Damen und Herren,",
        f"mein Kind {kid} hat ab {c.later(1)} einen Platz in der Kita. Ich kann damit endlich "
        f"die Stelle im {pick(['Verkauf', callcenter(), 'Lager', 'Büro'])} annehmen.",
        f"Die {kitagebuehren()} betragen {euro(80, 240)} im Monat plus Essensgeld. Ich bitte um "
        "Auskunft, ob diese Kosten übernommen oder beim Einkommen abgesetzt werden.",
        "Den Betreuungsvertrag lege ich bei.",
        c.signoff_citizen(),
    )
    if R.random() < 0.3:
        text = no_umlauts(text)
    return "Anfrage Kita", text


def krankenkasse(c):
    kk = pick(KRANKENKASSEN)
    if R.random() < 0.6:
        return "Mitgliedsbescheinigung", letter(
            f"{kk}\nVersichertenservice",
            f"{c.herrn}\n{c.name}\n{c.street}\n{c.plz} {c.town}",
            "Mitgliedsbescheinigung nach § 175 SGB V",
            c.geehrte,
            f"wir bestätigen, dass Sie seit dem {date(R.randint(2010, 2024))} bei der {kk} "
            f"{pick(['pflichtversichert', 'familienversichert', 'freiwillig versichert'])} sind.",
            f"Versichertennummer: {pick('ABCDEFGHKLMNPRSTWZ')}{R.randint(100000000, 999999999)}",
            "Die Mitgliedschaft umfasst die Kranken- und die Pflegeversicherung."
            + maybe(0.4, " Für den Bezug von Bürgergeld meldet das Jobcenter Sie zur Krankenversicherung an."),
            "Diese Bescheinigung dient zur Vorlage beim Arbeitgeber oder beim Jobcenter.",
            "Mit freundlichen Grüßen\n" + kk,
        )
    return "Krankengeld", letter(
        f"{kk}",
        f"{c.herrn}\n{c.name}\n{c.street}\n{c.plz} {c.town}",
        "Ihr Anspruch auf Krankengeld",
        c.geehrte,
        f"Sie sind seit dem {c.date()} arbeitsunfähig. Nach dem Ende der Entgeltfortzahlung zahlen "
        f"wir Ihnen ab {c.later(1)} Krankengeld in Höhe von {euro(28, 80)} kalendertäglich.",
        "Bitte reichen Sie uns die Arbeitsunfähigkeitsbescheinigungen Ihres Arztes lückenlos ein. "
        "Das Krankengeld ist beim Jobcenter als Einkommen anzugeben.",
        "Ihre Beiträge zur Renten- und Arbeitslosenversicherung tragen während des Bezugs wir "
        "anteilig.",
        "Mit freundlichen Grüßen\n" + kk,
    )


def au(c):
    doc = pick(["Dr. med. Susanne Bergmann, Fachärztin für Allgemeinmedizin",
                "Praxis Dr. Yusuf Demir, Innere Medizin", "Dr. med. Klaus Stromberg, Orthopädie",
                "Gemeinschaftspraxis am Markt, Dres. Hoffmann und Kassner"])
    if R.random() < 0.5:
        return "Arbeitsunfähigkeitsbescheinigung", letter(
            f"Arbeitsunfähigkeitsbescheinigung\n(Ausfertigung zur Vorlage beim Jobcenter)",
            f"Name: {c.name}, geb. {c.birth}\nKrankenkasse: {pick(KRANKENKASSEN)}",
            f"{pick(['Erstbescheinigung', 'Folgebescheinigung'])}\n"
            f"arbeitsunfähig seit: {c.date()}\nvoraussichtlich arbeitsunfähig bis einschließlich: "
            f"{c.later(0)}\nfestgestellt am: {c.date()}",
            "Die Vorlage beim Jobcenter ersetzt nicht die Meldung beim Arbeitgeber.",
            f"{doc}\n{c.town}",
        )
    return "Ärztliche Bescheinigung", letter(
        doc,
        "Ärztliche Bescheinigung",
        f"Patient/in: {c.name}, geb. {c.birth}",
        pick([
            f"{c.anrede} {c.last} befindet sich wegen eines Bandscheibenvorfalls in meiner "
            "Behandlung. Tätigkeiten mit schwerem Heben und Tragen über 10 kg sind auf Dauer nicht "
            "zumutbar. Eine Tätigkeit im Sitzen, etwa im Büro oder im "
            f"{homeoffice()}, ist möglich.",
            f"{c.anrede} {c.last} leidet an einer Zöliakie und ist auf glutenfreie Kost angewiesen. "
            "Es wird ein Mehrbedarf für kostenaufwändige Ernährung befürwortet.",
            f"Aus medizinischer Sicht ist ein Umzug in eine Wohnung im Erdgeschoss oder mit Aufzug "
            "dringend erforderlich (Gonarthrose beidseits).",
            f"{c.anrede} {c.last} konnte den Meldetermin am {c.date()} wegen einer akuten "
            "Erkrankung nicht wahrnehmen.",
        ]),
        f"{c.town}, {c.date()}\nUnterschrift, Praxisstempel",
    )


def rente(c):
    kind = R.random()
    if kind < 0.4:
        return "Renteninformation", letter(
            "Deutsche Rentenversicherung Bund",
            f"{c.herrn}\n{c.name}\n{c.street}\n{c.plz} {c.town}",
            f"Versicherungsnummer {R.randint(10, 65)} {R.randint(100000, 311299)} "
            f"{pick('ABKMSW')} {R.randint(100, 999)}",
            "Renteninformation",
            c.geehrte,
            "mit dieser Renteninformation erhalten Sie einen Überblick über Ihre bisher erworbenen "
            "Ansprüche in der gesetzlichen Rentenversicherung.",
            f"Ihre Regelaltersrente würde nach heutigem Stand {euro(350, 1200)} monatlich betragen. "
            f"Die Regelaltersgrenze erreichen Sie am {date(R.randint(2030, 2055))}.",
            f"Wären Sie heute wegen gesundheitlicher Einschränkungen voll erwerbsgemindert, erhielten "
            f"Sie eine Rente wegen voller Erwerbsminderung von {euro(300, 1000)}.",
            "Mit freundlichen Grüßen\nIhre Deutsche Rentenversicherung",
        )
    if kind < 0.7:
        return "Rentenbescheid", letter(
            "Deutsche Rentenversicherung Nord" if "Pinneberg" in c.jobcenter else
            "Deutsche Rentenversicherung Rheinland",
            f"{c.herrn}\n{c.name}\n{c.street}\n{c.plz} {c.town}",
            pick(["Bescheid über Rente wegen voller Erwerbsminderung",
                  "Bescheid über Rente wegen teilweiser Erwerbsminderung",
                  "Bescheid über Witwenrente", "Bescheid über Altersrente für langjährig Versicherte"]),
            c.geehrte,
            f"auf Ihren Antrag vom {c.date()} erhalten Sie ab {c.later(2)} eine Rente. Die monatliche "
            f"Rente beträgt {euro(420, 1300)}. Nach Abzug der Beiträge zur Kranken- und "
            f"Pflegeversicherung werden {euro(380, 1150)} ausgezahlt.",
            "Die Rente wird befristet bis " + c.later(24) + " gezahlt." if R.random() < 0.5 else
            "Die Rente wird auf unbestimmte Zeit gezahlt.",
            "Bitte teilen Sie den Bezug der Rente dem Jobcenter mit; es hat einen "
            "Erstattungsanspruch angemeldet.",
            "Mit freundlichen Grüßen\nDeutsche Rentenversicherung",
        )
    return "Aufforderung Rentenantrag", letter(
        c.jc_header(),
        "Aufforderung zur Beantragung einer vorrangigen Leistung (Altersrente)",
        c.geehrte,
        f"Sie vollenden am {c.later(5)} das 63. Lebensjahr. Nach § 12a SGB II sind Sie "
        "verpflichtet, Sozialleistungen anderer Träger in Anspruch zu nehmen, wenn dies zur "
        "Beseitigung der Hilfebedürftigkeit erforderlich ist.",
        "Ich fordere Sie daher auf, bei der Deutschen Rentenversicherung einen Antrag auf "
        f"vorzeitige Altersrente zu stellen und mir den Antrag bis zum {c.later(2)} nachzuweisen.",
        "Die Rentenversicherung berät Sie auch telefonisch und bietet "
        f"{pick(['Videoberatungen', 'Beratung per Video'])} an.",
        c.signoff_jc(),
    )


def familienkasse(c):
    n = max(c.children, 1)
    kids = c.kids or [pick(FIRST_F + FIRST_M)]
    return pick(["Kindergeldbescheid", "Bescheid Kinderzuschlag"]) if False else "Kindergeldbescheid", letter(
        "Bundesagentur für Arbeit\nFamilienkasse Nord" if "Pinneberg" in c.jobcenter else
        "Bundesagentur für Arbeit\nFamilienkasse Nordrhein-Westfalen West",
        f"{c.herrn}\n{c.name}\n{c.street}\n{c.plz} {c.town}",
        f"Kindergeldnummer: {R.randint(100, 999)}FK{R.randint(100000, 999999)}",
        pick(["Bescheid über Kindergeld", "Festsetzung des Kindergeldes"]),
        c.geehrte,
        f"für {'Ihre Kinder' if n > 1 else 'Ihr Kind'} "
        + ", ".join(f"{k} (geboren {date(R.randint(2008, 2024))})" for k in kids)
        + f" wird ab {month_name(c.month)} {c.year} Kindergeld festgesetzt. Das Kindergeld beträgt "
          f"255 Euro monatlich je Kind.",
        pick(["Den Kinderzuschlag können Sie bei Ihrer Familienkasse online beantragen.",
              "Für Kinder ab 18 Jahren benötigen wir einen Nachweis über Schule, Ausbildung oder "
              "Studium.",
              "Bitte teilen Sie uns Änderungen, zum Beispiel einen Umzug oder das Ende der Schule, "
              "sofort mit."]),
        "Mit freundlichen Grüßen\nIhre Familienkasse",
    )


def unterhaltsvorschuss(c):
    kid = c.kids[0] if c.kids else pick(FIRST_F + FIRST_M)
    amt = pick([f"Kreisverwaltung {c.region['kreis']}", f"Stadtverwaltung {c.town}"])
    return "Bescheid Unterhaltsvorschuss", letter(
        f"{amt}\nJugendamt – Unterhaltsvorschusskasse",
        f"{c.herrn}\n{c.name}\n{c.street}\n{c.plz} {c.town}",
        "Bescheid über Leistungen nach dem Unterhaltsvorschussgesetz (UVG)",
        c.geehrte,
        f"für Ihr Kind {kid} wird ab {c.later(1)} Unterhaltsvorschuss in Höhe von "
        f"{pick(['227', '299', '394'])} Euro monatlich bewilligt.",
        "Der andere Elternteil zahlt keinen oder nicht regelmäßig Unterhalt. Der "
        "Unterhaltsanspruch Ihres Kindes geht in Höhe der Leistung auf das Land über.",
        "Der Unterhaltsvorschuss ist beim Jobcenter als Einkommen des Kindes anzugeben.",
        "Mit freundlichen Grüßen\nIm Auftrag\n" + amt,
    )


def meldebescheinigung(c):
    amt = pick([f"Stadtverwaltung {c.town} – Bürgerbüro",
                f"Stadt {c.town}, Bürgeramt",
                f"Amt {c.town}-Land, Einwohnermeldeamt"])
    return "Meldebescheinigung", letter(
        amt,
        "Einfache Meldebescheinigung nach § 18 Absatz 1 Bundesmeldegesetz",
        f"Familienname: {c.last}\nVornamen: {c.first}\nGeburtsdatum: {c.birth}\n"
        f"Anschrift: {c.street}, {c.plz} {c.town}\nEinzugsdatum: {c.date()}\n"
        f"Wohnungsstatus: {pick(['alleinige Wohnung', 'Hauptwohnung'])}",
        f"Frühere Anschrift: {pick(STREETS)} {R.randint(1, 80)}, "
        f"{pick(['22767 Hamburg', '34117 Kassel', '51063 Köln', '24103 Kiel', '25524 Itzehoe', '51373 Leverkusen'])}",
        "Diese Bescheinigung wurde maschinell erstellt und ist ohne Unterschrift gültig.",
        f"{c.town}, {c.date()}",
    )


def auslaenderbehoerde(c):
    amt = f"Kreisverwaltung {c.region['kreis']}" if R.random() < 0.6 else f"Stadtverwaltung {c.town}"
    return "Schreiben Ausländerbehörde", letter(
        f"{amt}\nAusländerbehörde",
        f"{c.herrn}\n{c.name}\n{c.street}\n{c.plz} {c.town}",
        pick(["Verlängerung Ihres Aufenthaltstitels", "Ihr Antrag auf Erteilung einer "
              "Niederlassungserlaubnis", "Fiktionsbescheinigung"]),
        c.geehrte,
        pick([
            f"Ihr Aufenthaltstitel läuft am {c.later(2)} ab. Bitte vereinbaren Sie einen Termin "
            f"zur Verlängerung. Termine vergeben wir nur noch online als {onlinetermin()} im "
            "Terminportal.",
            f"Ihr Antrag ist eingegangen. Bis zur Entscheidung gilt Ihr bisheriger Aufenthaltstitel "
            "als fortbestehend. Die Fiktionsbescheinigung liegt bei.",
            "Für die Niederlassungserlaubnis benötigen wir den Nachweis über ausreichende "
            "Deutschkenntnisse (mindestens B1), den Arbeitsvertrag und eine aktuelle "
            "Mietbescheinigung.",
        ]),
        "Bitte bringen Sie Ihren Pass, ein biometrisches Foto und den aktuellen Bescheid des "
        "Jobcenters mit.",
        "Mit freundlichen Grüßen\nIm Auftrag\n" + amt,
    )


def sozialgericht(c):
    ort = "Itzehoe" if "Pinneberg" in c.jobcenter else "Köln"
    az = f"S {R.randint(3, 45)} AS {R.randint(100, 2999)}/{str(c.year)[2:]}"
    if R.random() < 0.5:
        return "Ladung Sozialgericht", letter(
            f"Sozialgericht {ort}",
            f"In dem Rechtsstreit\n{c.name} ./. {c.jobcenter}\nAktenzeichen: {az}",
            f"Ladung zum Termin zur mündlichen Verhandlung",
            f"In dem oben bezeichneten Rechtsstreit wird Termin zur mündlichen Verhandlung bestimmt "
            f"auf {c.later(3)}, {R.randint(9, 14)}:{pick(['00', '30'])} Uhr, Sitzungssaal "
            f"{R.randint(1, 12)}.",
            "Das persönliche Erscheinen der Klägerin / des Klägers ist angeordnet. Fahrtkosten "
            "werden auf Antrag nach dem Justizvergütungs- und -entschädigungsgesetz erstattet.",
            f"Gegenstand: Kosten der Unterkunft und Heizung, Bescheid vom {c.date()} in Gestalt des "
            f"Widerspruchsbescheides vom {c.date()}.",
            "Auf Anordnung\nUrkundsbeamtin der Geschäftsstelle",
        )
    return "Klage Sozialgericht", letter(
        f"{c.name}\n{c.street}\n{c.plz} {c.town}",
        f"An das Sozialgericht {ort}",
        f"Klage\n{c.name} gegen {c.jobcenter}",
        "Hiermit erhebe ich Klage gegen den Bescheid vom " + c.date() + " in der Gestalt des "
        f"Widerspruchsbescheides vom {c.date()} (BG-Nummer {c.case}).",
        "Ich beantrage, den Beklagten zu verurteilen, mir höhere Leistungen für Unterkunft und "
        "Heizung zu gewähren.",
        "Die Begründung folgt. Ich beantrage Prozesskostenhilfe; die Erklärung über meine "
        "persönlichen und wirtschaftlichen Verhältnisse liegt bei.",
        c.signoff_citizen(),
    )


def inkasso(c):
    if R.random() < 0.5:
        return "Zahlungserinnerung", letter(
            "Bundesagentur für Arbeit\nService-Haus – Forderungsmanagement\nRecklinghausen",
            f"{c.herrn}\n{c.name}\n{c.street}\n{c.plz} {c.town}",
            f"Forderungsnummer {R.randint(100, 999)}.{R.randint(100000, 999999)}.{R.randint(1, 9)}",
            "Zahlungserinnerung",
            c.geehrte,
            f"aus dem Erstattungsbescheid des {c.jobcenter} ist noch ein Betrag von "
            f"{euro(80, 2400)} offen. Bitte zahlen Sie bis zum {c.later(1)}.",
            "Wenn Sie den Betrag nicht auf einmal zahlen können, bieten wir Ihnen eine "
            "Ratenzahlung an. Rufen Sie uns an oder schreiben Sie uns eine Nachricht über das "
            "Kontaktformular.",
            "Mit freundlichen Grüßen\nIhr Forderungsmanagement",
        )
    firm = pick(["Creditreform Inkasso", "EOS Deutscher Inkasso-Dienst", "Inkasso Becker Wuppertal"])
    return "Mahnung Inkasso", letter(
        firm,
        f"{c.herrn}\n{c.name}\n{c.street}\n{c.plz} {c.town}",
        "Letzte Mahnung vor Einleitung gerichtlicher Schritte",
        c.geehrte,
        f"unsere Mandantin, die {pick(['Telefonica Germany GmbH', 'Vodafone GmbH', 'Otto GmbH & Co KG', 'Klarna'])}, "
        f"hat uns mit dem Einzug ihrer Forderung beauftragt. Offen sind {euro(90, 1300)} "
        "einschließlich Zinsen und Inkassokosten"
        + maybe(0.5, f" aus einem {handyvertrag()}") + ".",
        f"Bitte zahlen Sie bis zum {c.later(0)}. Andernfalls beantragen wir einen Mahnbescheid "
        "beim zuständigen Amtsgericht.",
        "Mit freundlichen Grüßen\n" + firm,
    )


def kontoauszuege(c):
    text = letter(
        f"Von: {c.first.lower()}.{c.last.lower()}@gmx.de\nAn: {c.jobcenter}\n"
        f"Betreff: Kontoauszüge {c.case}\nDatum: {c.date()}",
        "Sehr geehrte Damen und Herren,",
        pick([
            f"anbei schicke ich Ihnen die angeforderten Kontoauszüge für {month_name(c.month)} bis "
            f"{month_name(c.month % 12 + 1)}.",
            "wie gewünscht sende ich die Kontoauszüge der letzten drei Monate. Geschwärzt habe ich "
            "nur die Empfänger von Spenden.",
            "die Kontoauszüge habe ich mit dem Handy fotografiert, ich hoffe, man kann alles lesen.",
        ]),
        pick([
            f"Die Gutschrift über {euro(50, 400)} am {c.date()} ist eine Rückzahlung von meinem "
            f"Stromanbieter, keine Einnahme.",
            f"Die Überweisung von {euro(50, 300)} kam von meiner Mutter, sie hat mir Geld für die "
            "Waschmaschine geliehen.",
            "Die Abbuchungen von PayPal sind Bestellungen von Kinderkleidung.",
            f"Die Überweisung vom {c.date()} ist mein Lohn aus dem {minijob()}.",
            "",
        ]),
        c.signoff_citizen(),
    )
    if R.random() < 0.4:
        text = no_umlauts(text)
    return "E-Mail Kontoauszüge", text


def vermerk(c):
    cw_anrede, cw_name = c.cw
    what = pick([
        f"{c.anrede} {c.last} rief an und fragte nach dem Stand des Weiterbewilligungsantrages. "
        "Die Mietbescheinigung fehlt noch; sie reicht sie bis Ende der Woche ein.",
        f"{c.anrede} {c.last} teilt mit, dass {('sie' if c.female else 'er')} ab {c.later(1)} im "
        f"{callcenter()} arbeiten wird, überwiegend im {homeoffice()}. Arbeitsvertrag wird "
        "nachgereicht.",
        f"Telefonat mit dem Vermieter ({pick(c.region['landlords'])}): Mietrückstand von {euro(400, 1600)}, "
        "Räumungsklage angedroht. Darlehen nach § 22 Abs. 8 SGB II wird geprüft.",
        f"{c.anrede} {c.last} bittet, den Meldetermin zu verschieben, da das Kind krank ist. Neuer "
        f"Termin: {c.later(0)}, als {onlinetermin()}.",
        f"Gespräch im Eingangsbereich: {c.anrede} {c.last} legt Kontoauszüge und die "
        f"{nka()} vor. Kopien zur Akte genommen, Originale zurückgegeben.",
        f"{c.anrede} {c.last} fragt, ob der {deutschkurs()} auch abends möglich ist, da "
        f"{('sie' if c.female else 'er')} tagsüber im {minijob()} arbeitet.",
    ])
    return "Gesprächsvermerk", letter(
        f"Vermerk – {c.jobcenter}, Standort {c.site}",
        f"BG-Nummer: {c.case}\nKunde/Kundin: {c.name}\nDatum: {c.date()}\nBearbeitung: {cw_anrede} {cw_name}"
        + maybe(0.3, f" (im {homeoffice()})"),
        what,
        pick(["Wiedervorlage in 14 Tagen.", "Erledigt.", "Wiedervorlage nach Eingang der Unterlagen.",
              "Weiterleitung an die Leistungsabteilung."]),
    )


def email_citizen(c):
    ask = pick([
        ("Termin verschieben", f"ich habe am {c.later(0)} einen Termin bei Ihnen, kann aber nicht "
         f"kommen, weil ich an dem Tag ein Vorstellungsgespräch bei {pick(EMPLOYERS)[0]} habe. "
         f"Können wir den Termin verschieben oder als {onlinetermin()} machen?"),
        ("Frage zum Bescheid", "ich verstehe meinen Bescheid nicht. Warum wird mein Einkommen "
         f"aus dem {minijob()} angerechnet, obwohl ich nur {euro(100, 520)} verdiene?"),
        ("Arbeit gefunden", f"ich habe eine Arbeit gefunden! Ab {c.later(1)} arbeite ich im "
         f"{callcenter()} bei {pick(['TeleDirekt Service GmbH', 'Kundenhotline24', 'Dialog Plus GmbH'])}, "
         f"drei Tage im Büro und zwei Tage im {homeoffice()}. Den Arbeitsvertrag schicke ich nach."),
        ("Krankmeldung", "ich bin krank und kann morgen nicht zum Termin kommen. Die "
         "Arbeitsunfähigkeitsbescheinigung bringe ich nächste Woche vorbei."),
        ("Neue Adresse", f"ich bin umgezogen. Meine neue Adresse ist {pick(STREETS)} "
         f"{R.randint(1, 80)}, {c.plz} {c.town}. Den neuen Mietvertrag sende ich per Post."),
        ("Kita", f"mein Sohn hat jetzt einen Kitaplatz. Wer bezahlt die {kitagebuehren()}? "
         "Ich möchte wieder arbeiten."),
        ("Laptop", "für die Schule braucht meine Tochter einen Laptop. Gibt es dafür einen "
         "Zuschuss? Die Schule verlangt das für den Unterricht."),
    ])
    text = letter(
        f"Von: {c.first.lower()}{R.randint(1, 99)}@{pick(['gmail.com', 'web.de', 'gmx.net', 't-online.de'])}\n"
        f"An: {c.jobcenter}\nBetreff: {ask[0]} – BG {c.case}\nDatum: {c.date()}",
        pick(["Sehr geehrte Damen und Herren,", f"Sehr geehrte/r {c.cw[0]} {c.cw[1]},", "Hallo,"]),
        ask[1],
        pick(["Danke für Ihre Antwort.", "Bitte rufen Sie mich zurück.", ""]),
        c.signoff_citizen(),
    )
    if R.random() < 0.45:
        text = no_umlauts(text)
    return "E-Mail", text


def erstausstattung(c):
    what = pick([
        ("Wohnung", "Ich bin nach der Trennung aus der gemeinsamen Wohnung ausgezogen und habe "
         "keine Möbel. Ich benötige ein Bett, einen Kleiderschrank, einen Tisch mit Stühlen, "
         "einen Kühlschrank, eine Waschmaschine und Küchengeräte."),
        ("Schwangerschaft und Geburt", f"Ich bin schwanger, der Geburtstermin ist am {c.later(4)}. "
         "Ich benötige Babykleidung, einen Kinderwagen, ein Babybett und einen Wickeltisch."),
        ("Wohnung nach Wohnungsbrand", "Durch einen Brand im Haus ist meine Wohnung unbewohnbar "
         "geworden; die Hausratversicherung zahlt nicht, weil ich keine hatte."),
    ])
    text = letter(
        c.citizen_header(),
        f"Antrag auf Erstausstattung ({what[0]}) – BG-Nummer {c.case}",
        "Sehr geehrte Damen und Herren,",
        what[1],
        "Ich beantrage die Erstausstattung als Pauschale. Die Bestätigung über den Einzug bzw. "
        "den Mutterpass lege ich bei.",
        c.signoff_citizen(),
    )
    if R.random() < 0.3:
        text = no_umlauts(text)
    return "Antrag Erstausstattung", text


def fahrtkosten(c):
    emp = pick(EMPLOYERS)[0]
    text = letter(
        c.citizen_header(),
        f"Antrag auf Erstattung von Fahrtkosten – BG-Nummer {c.case}",
        "Sehr geehrte Damen und Herren,",
        f"am {c.date()} hatte ich ein Vorstellungsgespräch bei {emp} in "
        f"{pick(['Hamburg', 'Köln', 'Leverkusen', 'Norderstedt', 'Kassel', 'Düsseldorf'])}.",
        f"Ich bin mit {pick(['der Bahn', 'dem Bus', 'meinem Auto (' + str(R.randint(20, 160)) + ' km hin und zurück)'])} "
        f"gefahren. Die Kosten betragen {euro(6, 90)}. Die Fahrkarten und die Einladung zum "
        "Gespräch lege ich bei.",
        "Ich beantrage die Erstattung aus dem Vermittlungsbudget.",
        c.signoff_citizen(),
    )
    if R.random() < 0.3:
        text = no_umlauts(text)
    return "Antrag Fahrtkosten", text


def eks(c):
    biz = pick(["einen Onlineshop für Second-Hand-Kleidung", "einen Foodtruck mit türkischen "
                "Spezialitäten", "ein Kleinunternehmen für Haushaltshilfe und Babysitting",
                "eine Tätigkeit als freiberufliche Übersetzerin und Übersetzer",
                "einen Kurierdienst mit Lastenrad", "eine Nagelstudio-Ausstattung im eigenen "
                "Wohnzimmer"])
    return "Anlage EKS", letter(
        c.citizen_header(),
        f"Anlage EKS – Einkommen aus selbständiger Tätigkeit\nBG-Nummer: {c.case}",
        f"Ich betreibe seit {month_name(c.month)} {c.year - 1} {biz}. Die Gewerbeanmeldung liegt "
        "bei.",
        f"Voraussichtliche Betriebseinnahmen im Bewilligungszeitraum: {euro(1200, 9000)}\n"
        f"Voraussichtliche Betriebsausgaben: {euro(400, 5000)}\n"
        f"davon Wareneinkauf: {euro(100, 2500)}, Fahrzeugkosten: {euro(0, 900)}, "
        f"Telefon und Internet: {euro(60, 300)}, Werbung und Software: {euro(20, 400)}",
        "Ein Arbeitszimmer nutze ich nicht; gearbeitet wird am Küchentisch und unterwegs.",
        "Die abschließenden Angaben reiche ich nach Ablauf des Bewilligungszeitraums ein.",
        c.signoff_citizen(),
    )


def vollmacht(c):
    who = pick(["Diakonisches Werk, Sozialberatung", "Rechtsanwältin Dr. Petra Lindström",
                "Caritasverband, Migrationsberatung", "meine Schwester " + pick(FIRST_F) + " " + c.last])
    return "Vollmacht", letter(
        "Vollmacht",
        f"Hiermit bevollmächtige ich, {c.name}, geboren am {c.birth}, wohnhaft {c.street}, "
        f"{c.plz} {c.town}, {who},",
        f"mich gegenüber dem {c.jobcenter} in allen Angelegenheiten nach dem SGB II zu vertreten, "
        "Akteneinsicht zu nehmen, Anträge zu stellen, Widerspruch einzulegen und Bescheide in "
        "Empfang zu nehmen.",
        f"BG-Nummer: {c.case}",
        f"{c.town}, {c.date()}\nUnterschrift",
    )


def eingangsbestaetigung(c):
    return "Eingangsbestätigung", letter(
        c.jc_header(),
        "Eingangsbestätigung",
        c.geehrte,
        f"Ihr {pick(['Weiterbewilligungsantrag', 'Antrag auf Bürgergeld', 'Widerspruch', 'Schreiben', 'Antrag auf Erstausstattung'])} "
        f"vom {c.date()} ist am {c.date()} bei uns eingegangen.",
        "Wir bearbeiten Ihr Anliegen so schnell wie möglich. Die durchschnittliche "
        f"Bearbeitungszeit beträgt derzeit {R.randint(2, 6)} Wochen.",
        "Den Stand der Bearbeitung können Sie jederzeit online unter jobcenter.digital einsehen. "
        f"Termine können Sie dort auch als {onlinetermin()} buchen.",
        c.signoff_jc(),
    )


def leistungsminderung(c):
    return "Bescheid Leistungsminderung", letter(
        c.jc_header(),
        "Bescheid über eine Minderung des Bürgergeldes",
        c.geehrte,
        pick([
            f"Sie sind am {c.date()} ohne wichtigen Grund nicht zu dem Meldetermin erschienen, zu "
            f"dem Sie mit Schreiben vom {c.date()} eingeladen worden sind.",
            f"Sie haben die Ihnen angebotene Arbeit bei {pick(EMPLOYERS)[0]} ohne wichtigen Grund "
            "nicht angenommen.",
            f"Sie haben die Maßnahme „{coaching()}“ ohne wichtigen Grund abgebrochen.",
        ]),
        f"Ihr Bürgergeld wird deshalb für die Zeit vom {c.later(1)} bis {c.later(2)} um "
        f"{pick(['10', '20', '30'])} Prozent des maßgebenden Regelbedarfs gemindert.",
        "Sie haben zu dem Sachverhalt vorgetragen, dass Sie den Termin vergessen hätten. Dies ist "
        "kein wichtiger Grund." if R.random() < 0.5 else
        "Sie haben sich zu dem Sachverhalt nicht geäußert.",
        "Rechtsbehelfsbelehrung: Gegen diesen Bescheid kann innerhalb eines Monats Widerspruch "
        "erhoben werden.",
        c.signoff_jc(),
    )


def kooperationsplan(c):
    goals = R.sample([
        f"Aufnahme einer Beschäftigung als {pick(EMPLOYERS)[2]}",
        f"Teilnahme am {deutschkurs()} bis zum Niveau B1",
        f"{pick(['fünf', 'acht', 'zehn'])} Bewerbungen im Monat, auch auf Stellen im {callcenter()}",
        "Klärung der Kinderbetreuung mit dem Jugendamt",
        "Erwerb des Führerscheins Klasse B (Förderung wird geprüft)",
        f"Teilnahme am {coaching()}",
        f"Suche nach Stellen mit {homeoffice()}-Anteil wegen der Betreuung der Kinder",
        "Anerkennung des ausländischen Berufsabschlusses",
        "Abschluss des Integrationskurses mit dem Zertifikat B1",
    ], 3)
    return "Kooperationsplan", letter(
        c.jc_header(),
        pick(["Kooperationsplan", "Kooperationsplan (ersetzt die bisherige Eingliederungsvereinbarung)"]),
        f"Zwischen {c.name} und dem {c.jobcenter} wurde am {c.date()} folgender Kooperationsplan "
        "besprochen:",
        "Ziele:\n" + "\n".join(f"- {g}" for g in goals),
        "Das Jobcenter unterstützt durch: Übernahme von Bewerbungskosten und Fahrtkosten aus dem "
        "Vermittlungsbudget, Vermittlungsvorschläge, Beratung.",
        f"Der Plan wird spätestens am {c.later(6)} gemeinsam überprüft.",
        c.signoff_jc(),
    )


def praktikum(c):
    emp, dept, job = pick(EMPLOYERS)
    return "Praktikumsbestätigung", letter(
        emp,
        "Praktikumsbestätigung",
        f"{c.anrede} {c.name} hat vom {c.date()} bis {c.later(1)} ein Praktikum in unserem "
        f"Betrieb im Bereich {dept} absolviert ({pick([20, 30, 38])} Stunden pro Woche).",
        f"{'Sie' if c.female else 'Er'} hat Einblick in die Tätigkeit als {job} erhalten und "
        + pick(["zeigte großes Interesse und Engagement.", "arbeitete zuverlässig mit.",
                "überzeugte durch Freundlichkeit im Umgang mit Kunden."]),
        pick([f"Wir können uns eine Übernahme in ein Arbeitsverhältnis ab {c.later(2)} vorstellen.",
              "Eine Übernahme ist derzeit leider nicht möglich.",
              "Über eine Ausbildung ab dem nächsten Ausbildungsjahr sprechen wir gern."]),
        f"{c.town}, {c.date()}\n{emp}",
    )


def versicherung(c):
    kind = pick(["Kfz-Haftpflichtversicherung", "Hausratversicherung", "private Haftpflichtversicherung",
                 "Unfallversicherung", "Riester-Rentenversicherung"])
    vs = pick(["HUK-Coburg", "Allianz", "DEVK", "Provinzial", "HanseMerkur", "R+V Versicherung"])
    if R.random() < 0.5:
        return "Beitragsrechnung Versicherung", letter(
            vs,
            f"{c.herrn}\n{c.name}\n{c.street}\n{c.plz} {c.town}",
            f"Versicherungsschein-Nr. {R.randint(10000000, 99999999)}",
            f"Beitragsrechnung {c.year}: {kind}",
            c.geehrte,
            f"für Ihre {kind} berechnen wir für das Jahr {c.year} einen Beitrag von "
            f"{euro(40, 600)}. Der Beitrag wird am {c.later(1)} von Ihrem Konto abgebucht.",
            "Bitte prüfen Sie, ob Ihr Versicherungsschutz noch zu Ihrer Lebenssituation passt.",
            "Mit freundlichen Grüßen\n" + vs,
        )
    text = letter(
        c.citizen_header(),
        f"Absetzung von Versicherungsbeiträgen – BG-Nummer {c.case}",
        "Sehr geehrte Damen und Herren,",
        f"ich zahle für meine {kind} bei der {vs} im Jahr {euro(40, 600)}. Ich bitte darum, den "
        "Beitrag von meinem Einkommen abzusetzen. Die Beitragsrechnung liegt bei.",
        "Außerdem frage ich, ob die Versicherungspauschale von 30 Euro schon abgezogen wurde.",
        c.signoff_citizen(),
    )
    if R.random() < 0.3:
        text = no_umlauts(text)
    return "Anfrage Versicherung", text


def schuldnerberatung(c):
    sb = pick(c.region["beratung"])
    return "Schreiben Schuldnerberatung", letter(
        sb,
        f"An das {c.jobcenter}\nStandort {c.site}",
        f"Unser Zeichen: SB-{R.randint(1000, 9999)}\nKlient/in: {c.name}, BG-Nummer {c.case}",
        "Sehr geehrte Damen und Herren,",
        f"{c.anrede} {c.last} befindet sich seit {month_name(c.month)} in unserer Beratung. Die "
        f"Gesamtverschuldung beträgt rund {R.randint(3, 48)}.000 Euro bei {R.randint(3, 14)} "
        "Gläubigern, darunter Energieversorger, Telefonanbieter und Versandhändler.",
        pick(["Wir bereiten ein außergerichtliches Einigungsverfahren vor und bitten um Mitteilung "
              "der Forderungen des Jobcenters.",
              "Zur Vermeidung einer Stromsperre bitten wir um Prüfung eines Darlehens.",
              "Wir bitten, die Aufrechnung vorübergehend auszusetzen, bis ein Schuldenbereinigungsplan "
              "vorliegt."]),
        "Eine Schweigepflichtentbindung liegt bei.",
        "Mit freundlichen Grüßen\n" + sb,
    )


def verwaltung_schreiben(c):
    """Letters of local government: Wohngeld, Bürgeramt, Gewerbe, Obdach."""
    amt = pick([f"Stadtverwaltung {c.town}", f"Kreisverwaltung {c.region['kreis']}",
                f"Gemeindeverwaltung {c.town}", f"Amtsverwaltung {c.town}-Land"])
    kind = pick([
        ("Wohngeld", "Ihr Antrag auf Wohngeld wurde abgelehnt, weil Sie Bürgergeld beziehen. "
         "Bürgergeld umfasst die Kosten der Unterkunft; ein gleichzeitiger Bezug von Wohngeld ist "
         "ausgeschlossen."),
        ("Gewerbeabmeldung", "Ihre Gewerbeabmeldung ist eingegangen. Das Gewerbe gilt zum "
         f"{c.later(0)} als abgemeldet. Eine Kopie geht an das Finanzamt."),
        ("Hundesteuer", f"Für Ihren Hund wird die Hundesteuer ab {c.later(1)} auf "
         f"{euro(60, 150)} jährlich festgesetzt. Eine Ermäßigung für Empfänger von Bürgergeld ist "
         "auf Antrag möglich."),
        ("Befreiung Rundfunkbeitrag", "Die Bescheinigung für die Befreiung vom Rundfunkbeitrag wurde "
         "Ihnen ausgestellt; bitte senden Sie sie an den Beitragsservice."),
        ("Sozialticket", f"Ihnen wurde ein Sozialticket für den Nahverkehr ausgestellt. Es gilt bis "
         f"{c.later(12)}."),
    ])
    return f"Schreiben {kind[0]}", letter(
        amt + "\n" + pick(["Fachdienst Soziales", "Bürgerbüro", "Ordnungsamt", "Amt für Wohnen"]),
        f"{c.herrn}\n{c.name}\n{c.street}\n{c.plz} {c.town}",
        f"{c.town}, {c.date()}",
        kind[0],
        c.geehrte,
        kind[1],
        maybe(0.5, "Fragen beantworten wir montags bis freitags von 8 bis 12 Uhr. Termine vergeben "
              f"wir auch als {onlinetermin()}."),
        "Mit freundlichen Grüßen\nIm Auftrag\n" + amt,
    )


def ausbildung(c):
    emp, dept, job = pick(EMPLOYERS)
    kid = (c.kids[0] if c.kids else c.first)
    return "Ausbildungsvertrag", letter(
        f"{pick(['Handelskammer Hamburg', 'IHK Köln', 'Handwerkskammer Lübeck', 'IHK zu Kiel'])}",
        "Eintragung in das Verzeichnis der Berufsausbildungsverhältnisse",
        f"Auszubildende/r: {kid} {c.last}, {c.street}, {c.plz} {c.town}\n"
        f"Ausbildender Betrieb: {emp}\nAusbildungsberuf: {pick(['Kaufmann/Kauffrau im Einzelhandel', 'Fachkraft für Lagerlogistik', 'Koch/Köchin', 'Elektroniker/in für Energie- und Gebäudetechnik', 'Kaufmann/Kauffrau für Büromanagement', 'Pflegefachfrau/Pflegefachmann'])}",
        f"Beginn der Ausbildung: 01.08.{c.year}\nDauer: {pick(['36', '42', '24'])} Monate\n"
        f"Ausbildungsvergütung im ersten Ausbildungsjahr: {pick(['682', '750', '860', '1.020'])} Euro brutto",
        "Der Ausbildungsvertrag wurde eingetragen. Die Berufsschule wird vom Betrieb informiert.",
        "Hinweis: Die Ausbildungsvergütung ist beim Jobcenter anzugeben; für Auszubildende gelten "
        "besondere Freibeträge.",
    )



# ---------------------------------------------------------------------------
# What lengthens a short document the way real ones are lengthened: footers of
# organisations, quoted messages and signatures of e-mails, notes of files.

def org_footer(c):
    return ([
        "Hinweise zum Datenschutz: Wir verarbeiten Ihre Daten nach Artikel 6 der "
        "Datenschutz-Grundverordnung. Auskunft über die gespeicherten Daten erhalten Sie auf "
        "Anfrage; Informationen finden Sie auf unserer Internetseite.",
        f"Sprechzeiten: Montag bis Donnerstag 8 bis 16 Uhr, Freitag 8 bis 12 Uhr. "
        f"Bankverbindung: {pick(['Sparkasse Südholstein', 'Kreissparkasse Köln', 'VR Bank in Holstein', 'Volksbank Berg'])}, "
        f"IBAN DE{R.randint(10, 99)} {R.randint(1000, 9999)} {R.randint(1000, 9999)} {R.randint(1000, 9999)} "
        f"{R.randint(1000, 9999)} {R.randint(10, 99)}.",
        "Dieses Schreiben wurde maschinell erstellt und ist ohne Unterschrift gültig. Bitte "
        "bewahren Sie es sorgfältig auf; es kann als Nachweis gegenüber Behörden dienen.",
        "Bei Rückfragen geben Sie bitte immer das oben genannte Zeichen an. Unterlagen senden "
        "Sie bitte nur in Kopie; Originale können wir nicht zurückschicken.",
    ])


def email_tail(c):
    return ([
        f"{c.name}\n{c.street}\n{c.plz} {c.town}\nTel. 01{R.randint(50, 79)} {R.randint(1000000, 9999999)}",
        "Gesendet von meinem Smartphone",
        f"-----Ursprüngliche Nachricht-----\nVon: {c.jobcenter}\nBetreff: Ihr Anliegen\n"
        f"Sehr geehrte/r Kunde/Kundin, vielen Dank für Ihre Nachricht. Bitte geben Sie bei "
        f"jeder Nachricht Ihre BG-Nummer an. Unterlagen können Sie auch über jobcenter.digital "
        f"hochladen. Mit freundlichen Grüßen, Ihr Jobcenter",
        f"PS: Meine Telefonnummer hat sich geändert, neu ist 01{R.randint(50, 79)} "
        f"{R.randint(1000000, 9999999)}. Ich bin am besten vormittags erreichbar.",
    ])


def file_note(c):
    return ([
        "Vereinbart: Unterlagen werden nachgereicht, Erinnerung im System hinterlegt. "
        "Kunde/Kundin wurde auf die Mitwirkungspflichten hingewiesen.",
        "Sachstand: Antrag vollständig bis auf die genannten Nachweise. Leistungsabteilung "
        "informiert, Bearbeitung nach Eingang.",
        "Hinweis für die Vertretung: bei Rückruf bitte auf den Vermerk verweisen und die "
        "Telefonnummer prüfen.",
    ])


def citizen_tail(c):
    return ([
        f"PS: Ich bin tagsüber unter 01{R.randint(50, 79)} {R.randint(1000000, 9999999)} "
        "erreichbar, gern auch per SMS.",
        "Anlagen: Kopien der genannten Unterlagen",
        "Ich bitte um eine kurze Bestätigung, dass mein Schreiben angekommen ist.",
    ])


def vollmacht_tail(c):
    return ([
        "Die Vollmacht gilt bis auf Widerruf. Sie erstreckt sich nicht auf den Empfang von "
        "Zahlungen.",
        "Eine Kopie meines Personalausweises liegt bei.",
        "Ich entbinde das Jobcenter insoweit von der Pflicht zur Wahrung des Sozialgeheimnisses.",
    ])


SHORT_TAILS = {
    "vollmacht": vollmacht_tail,
    "kontoauszuege": email_tail, "email_citizen": email_tail, "vermerk": file_note,
}


KINDS = [
    (bewilligungsbescheid, 9), (aenderungsbescheid, 8), (aufhebung, 6), (anhoerung, 6),
    (einladung, 12), (mitwirkung, 8), (wba, 9), (widerspruch, 8), (widerspruchsbescheid, 6),
    (mietbescheinigung, 7), (mietvertrag, 5), (nebenkostenabrechnung, 6), (mieterhoehung, 5),
    (umzug, 7), (kaution_darlehen, 5), (strom, 9), (arbeitsvertrag, 7), (lohnabrechnung, 8),
    (kuendigung, 6), (arbeitszeugnis, 6), (bewerbungsnachweis, 8), (vermittlungsvorschlag, 7),
    (massnahme, 7), (teilnahmebestaetigung, 6), (sprachkurs, 8), (schulbescheinigung, 6),
    (but, 8), (kita, 7), (krankenkasse, 7), (au, 8), (rente, 7), (familienkasse, 6),
    (unterhaltsvorschuss, 5), (meldebescheinigung, 5), (auslaenderbehoerde, 5), (sozialgericht, 6),
    (inkasso, 6), (kontoauszuege, 7), (vermerk, 9), (email_citizen, 12), (erstausstattung, 5),
    (fahrtkosten, 5), (eks, 4), (vollmacht, 4), (eingangsbestaetigung, 5), (leistungsminderung, 5),
    (kooperationsplan, 6), (praktikum, 5), (versicherung, 7), (schuldnerberatung, 5),
    (verwaltung_schreiben, 8), (ausbildung, 4),
]


def main():
    plan = [k for k, n in KINDS for _ in range(n)]
    R.shuffle(plan)
    out = os.path.join(HERE, "docs")
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        if f.endswith(".txt"):
            os.remove(os.path.join(out, f))
    rows = ["id\tkind\tcase_number\tsite\ttitle"]
    for i, kind in enumerate(plan, 1):
        c = Ctx()
        title, text = kind(c)
        tail = SHORT_TAILS.get(kind.__name__)
        if tail is None:
            tail = citizen_tail if text.startswith(c.name) else org_footer
        options = tail(c)
        R.shuffle(options)
        while len(text.encode()) < 620 and options:
            more = options.pop()
            if kind is vollmacht:
                head, sign = text.rsplit("\n\n", 1)
                text = letter(head, more, sign)
            else:
                text = letter(text, more)
        text = wrap(text).strip() + "\n"
        doc_id = f"d{i:03d}"
        with open(os.path.join(out, doc_id + ".txt"), "w", encoding="utf-8") as f:
            f.write(text)
        case = c.case if c.case in text.replace(" ", "") else "-"
        rows.append(f"{doc_id}\t{kind.__name__}\t{case}\t{c.site}\t{title}")
    with open(os.path.join(HERE, "docs.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")
    print(f"{len(plan)} documents")


if __name__ == "__main__":
    main()
