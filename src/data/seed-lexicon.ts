/**
 * Lexicon of the built-in English -> French seed corpus (seed-corpus.ts): nouns with gender and plural forms,
 * adjectives with their four agreement forms (and the prenominal vowel form vieil / bel / nouvel), verbs with
 * English past and base forms and French past participles (passé composé with avoir or être).
 */

export type Gender = 'm' | 'f';
/** Noun classes used to pick plausible arguments: animal, person, food, thing, place (in), surface (on/under). */
export type NounClass = 'animal' | 'person' | 'food' | 'thing' | 'place' | 'surface';

export interface Noun {
  en: string;
  enPl: string;
  fr: string;
  frPl: string;
  gender: Gender;
  classes: readonly NounClass[];
}

export interface Adjective {
  en: string;
  /** French forms: masculine singular, feminine singular, masculine plural, feminine plural. */
  fr: readonly [string, string, string, string];
  /** Before the noun (petit, grand, vieux, ...) instead of after it (noir, rouge, ...). */
  prenominal: boolean;
  /** Masculine singular form before a vowel (vieux -> vieil). */
  vowelForm?: string;
  /** Kinds of noun it describes (default: all). */
  describes?: readonly NounClass[];
}

export interface Verb {
  /** English base form (after "did not") and simple past. */
  en: string;
  enPast: string;
  /** French past participle, masculine singular (feminine + e, plural + s, as vu / vue / vus / vues). */
  pp: string;
  aux: 'avoir' | 'être';
  /** Kinds of subject and, for transitive verbs, object it takes; intransitive verbs have no object. */
  subject: readonly NounClass[];
  object?: readonly NounClass[];
}

function noun(en: string, enPl: string, fr: string, frPl: string, gender: Gender, ...classes: NounClass[]): Noun {
  return { en, enPl, fr, frPl, gender, classes };
}

export const NOUNS: readonly Noun[] = [
  noun('cat', 'cats', 'chat', 'chats', 'm', 'animal'),
  noun('dog', 'dogs', 'chien', 'chiens', 'm', 'animal'),
  noun('mouse', 'mice', 'souris', 'souris', 'f', 'animal'),
  noun('bird', 'birds', 'oiseau', 'oiseaux', 'm', 'animal'),
  noun('horse', 'horses', 'cheval', 'chevaux', 'm', 'animal'),
  noun('rabbit', 'rabbits', 'lapin', 'lapins', 'm', 'animal'),
  noun('cow', 'cows', 'vache', 'vaches', 'f', 'animal'),
  noun('duck', 'ducks', 'canard', 'canards', 'm', 'animal'),
  noun('spider', 'spiders', 'araignée', 'araignées', 'f', 'animal'),
  noun('elephant', 'elephants', 'éléphant', 'éléphants', 'm', 'animal'),
  noun('girl', 'girls', 'fille', 'filles', 'f', 'person'),
  noun('boy', 'boys', 'garçon', 'garçons', 'm', 'person'),
  noun('man', 'men', 'homme', 'hommes', 'm', 'person'),
  noun('woman', 'women', 'femme', 'femmes', 'f', 'person'),
  noun('child', 'children', 'enfant', 'enfants', 'm', 'person'),
  noun('teacher', 'teachers', 'professeur', 'professeurs', 'm', 'person'),
  noun('friend', 'friends', 'ami', 'amis', 'm', 'person'),
  noun('student', 'students', 'étudiante', 'étudiantes', 'f', 'person'),
  noun('doctor', 'doctors', 'médecin', 'médecins', 'm', 'person'),
  noun('farmer', 'farmers', 'fermier', 'fermiers', 'm', 'person'),
  noun('king', 'kings', 'roi', 'rois', 'm', 'person'),
  noun('queen', 'queens', 'reine', 'reines', 'f', 'person'),
  noun('neighbor', 'neighbors', 'voisin', 'voisins', 'm', 'person'),
  noun('sister', 'sisters', 'sœur', 'sœurs', 'f', 'person'),
  noun('brother', 'brothers', 'frère', 'frères', 'm', 'person'),
  noun('actress', 'actresses', 'actrice', 'actrices', 'f', 'person'),
  noun('apple', 'apples', 'pomme', 'pommes', 'f', 'food', 'thing'),
  noun('bread', 'breads', 'pain', 'pains', 'm', 'food', 'thing'),
  noun('cheese', 'cheeses', 'fromage', 'fromages', 'm', 'food', 'thing'),
  noun('cake', 'cakes', 'gâteau', 'gâteaux', 'm', 'food', 'thing'),
  noun('egg', 'eggs', 'œuf', 'œufs', 'm', 'food', 'thing'),
  noun('orange', 'oranges', 'orange', 'oranges', 'f', 'food', 'thing'),
  noun('soup', 'soups', 'soupe', 'soupes', 'f', 'food', 'thing'),
  noun('book', 'books', 'livre', 'livres', 'm', 'thing'),
  noun('letter', 'letters', 'lettre', 'lettres', 'f', 'thing'),
  noun('key', 'keys', 'clé', 'clés', 'f', 'thing'),
  noun('ball', 'balls', 'balle', 'balles', 'f', 'thing'),
  noun('hat', 'hats', 'chapeau', 'chapeaux', 'm', 'thing'),
  noun('bottle', 'bottles', 'bouteille', 'bouteilles', 'f', 'thing'),
  noun('glass', 'glasses', 'verre', 'verres', 'm', 'thing'),
  noun('cup', 'cups', 'tasse', 'tasses', 'f', 'thing'),
  noun('flower', 'flowers', 'fleur', 'fleurs', 'f', 'thing'),
  noun('picture', 'pictures', 'image', 'images', 'f', 'thing'),
  noun('umbrella', 'umbrellas', 'parapluie', 'parapluies', 'm', 'thing'),
  noun('door', 'doors', 'porte', 'portes', 'f', 'thing'),
  noun('window', 'windows', 'fenêtre', 'fenêtres', 'f', 'thing'),
  noun('box', 'boxes', 'boîte', 'boîtes', 'f', 'thing', 'surface', 'place'),
  noun('car', 'cars', 'voiture', 'voitures', 'f', 'thing', 'surface', 'place'),
  noun('boat', 'boats', 'bateau', 'bateaux', 'm', 'thing', 'place'),
  noun('table', 'tables', 'table', 'tables', 'f', 'surface'),
  noun('chair', 'chairs', 'chaise', 'chaises', 'f', 'surface'),
  noun('bed', 'beds', 'lit', 'lits', 'm', 'surface'),
  noun('tree', 'trees', 'arbre', 'arbres', 'm', 'surface'),
  noun('bridge', 'bridges', 'pont', 'ponts', 'm', 'surface'),
  noun('house', 'houses', 'maison', 'maisons', 'f', 'place'),
  noun('garden', 'gardens', 'jardin', 'jardins', 'm', 'place'),
  noun('kitchen', 'kitchens', 'cuisine', 'cuisines', 'f', 'place'),
  noun('park', 'parks', 'parc', 'parcs', 'm', 'place'),
  noun('street', 'streets', 'rue', 'rues', 'f', 'place'),
  noun('city', 'cities', 'ville', 'villes', 'f', 'place'),
  noun('school', 'schools', 'école', 'écoles', 'f', 'place'),
  noun('river', 'rivers', 'rivière', 'rivières', 'f', 'place'),
  noun('forest', 'forests', 'forêt', 'forêts', 'f', 'place'),
  noun('office', 'offices', 'bureau', 'bureaux', 'm', 'place'),
];

function adj(en: string, msg: string, fsg: string, mpl: string, fpl: string, prenominal = false, vowelForm?: string): Adjective {
  const a: Adjective = { en, fr: [msg, fsg, mpl, fpl], prenominal };
  if (vowelForm !== undefined) a.vowelForm = vowelForm;
  return a;
}

function only(a: Adjective, ...describes: NounClass[]): Adjective {
  return { ...a, describes };
}

export const ADJECTIVES: readonly Adjective[] = [
  adj('black', 'noir', 'noire', 'noirs', 'noires'),
  adj('white', 'blanc', 'blanche', 'blancs', 'blanches'),
  adj('red', 'rouge', 'rouge', 'rouges', 'rouges'),
  adj('green', 'vert', 'verte', 'verts', 'vertes'),
  adj('blue', 'bleu', 'bleue', 'bleus', 'bleues'),
  only(adj('happy', 'heureux', 'heureuse', 'heureux', 'heureuses'), 'animal', 'person'),
  only(adj('tired', 'fatigué', 'fatiguée', 'fatigués', 'fatiguées'), 'animal', 'person'),
  only(adj('heavy', 'lourd', 'lourde', 'lourds', 'lourdes'), 'thing', 'food', 'surface'),
  only(adj('broken', 'cassé', 'cassée', 'cassés', 'cassées'), 'thing', 'surface'),
  only(adj('round', 'rond', 'ronde', 'ronds', 'rondes'), 'thing', 'food', 'surface'),
  only(adj('angry', 'fâché', 'fâchée', 'fâchés', 'fâchées'), 'animal', 'person'),
  adj('small', 'petit', 'petite', 'petits', 'petites', true),
  adj('big', 'grand', 'grande', 'grands', 'grandes', true),
  adj('old', 'vieux', 'vieille', 'vieux', 'vieilles', true, 'vieil'),
  only(adj('young', 'jeune', 'jeune', 'jeunes', 'jeunes', true), 'animal', 'person'),
  adj('beautiful', 'beau', 'belle', 'beaux', 'belles', true, 'bel'),
  only(adj('new', 'nouveau', 'nouvelle', 'nouveaux', 'nouvelles', true, 'nouvel'), 'thing', 'place', 'surface'),
  adj('pretty', 'joli', 'jolie', 'jolis', 'jolies', true),
];

const ANIMATE: readonly NounClass[] = ['animal', 'person'];
const PEOPLE: readonly NounClass[] = ['person'];
const ANY: readonly NounClass[] = ['animal', 'person', 'food', 'thing'];

function tv(en: string, enPast: string, pp: string, subject: readonly NounClass[], object: readonly NounClass[]): Verb {
  return { en, enPast, pp, aux: 'avoir', subject, object };
}

function iv(en: string, enPast: string, pp: string, aux: 'avoir' | 'être'): Verb {
  return { en, enPast, pp, aux, subject: ANIMATE };
}

export const TRANSITIVE_VERBS: readonly Verb[] = [
  tv('eat', 'ate', 'mangé', ANIMATE, ['food', 'animal']),
  tv('see', 'saw', 'vu', ANIMATE, ANY),
  tv('find', 'found', 'trouvé', ANIMATE, ANY),
  tv('lose', 'lost', 'perdu', PEOPLE, ['thing', 'animal']),
  tv('watch', 'watched', 'regardé', ANIMATE, ANY),
  tv('love', 'loved', 'aimé', PEOPLE, ANY),
  tv('take', 'took', 'pris', PEOPLE, ['thing', 'food']),
  tv('open', 'opened', 'ouvert', PEOPLE, ['thing']),
  tv('carry', 'carried', 'porté', ANIMATE, ['thing', 'food']),
  tv('buy', 'bought', 'acheté', PEOPLE, ['thing', 'food', 'animal']),
  tv('sell', 'sold', 'vendu', PEOPLE, ['thing', 'food', 'animal']),
  tv('break', 'broke', 'cassé', ANIMATE, ['thing']),
  tv('follow', 'followed', 'suivi', ANIMATE, ANIMATE),
  tv('push', 'pushed', 'poussé', ANIMATE, ['thing', 'animal', 'person']),
  tv('catch', 'caught', 'attrapé', ANIMATE, ['animal', 'thing']),
  tv('hear', 'heard', 'entendu', ANIMATE, ANIMATE),
  tv('meet', 'met', 'rencontré', PEOPLE, ANIMATE),
  tv('paint', 'painted', 'peint', PEOPLE, ['thing']),
  tv('bite', 'bit', 'mordu', ['animal'], ANY),
  tv('wash', 'washed', 'lavé', PEOPLE, ['thing', 'animal']),
  tv('forget', 'forgot', 'oublié', PEOPLE, ['thing', 'food']),
  tv('help', 'helped', 'aidé', ANIMATE, ANIMATE),
  tv('call', 'called', 'appelé', PEOPLE, ANIMATE),
  tv('chase', 'chased', 'chassé', ANIMATE, ANIMATE),
  tv('cook', 'cooked', 'préparé', PEOPLE, ['food']),
];

export const INTRANSITIVE_VERBS: readonly Verb[] = [
  iv('arrive', 'arrived', 'arrivé', 'être'),
  iv('leave', 'left', 'parti', 'être'),
  iv('come', 'came', 'venu', 'être'),
  iv('fall', 'fell', 'tombé', 'être'),
  iv('stay', 'stayed', 'resté', 'être'),
  iv('sleep', 'slept', 'dormi', 'avoir'),
  iv('run', 'ran', 'couru', 'avoir'),
  iv('sing', 'sang', 'chanté', 'avoir'),
  iv('dance', 'danced', 'dansé', 'avoir'),
  iv('cry', 'cried', 'pleuré', 'avoir'),
  iv('swim', 'swam', 'nagé', 'avoir'),
  iv('walk', 'walked', 'marché', 'avoir'),
];

/** The verb giving one thing to someone: "gave X to Y" -> "a donné X à Y". */
export const DITRANSITIVE_VERBS: readonly Verb[] = [
  tv('give', 'gave', 'donné', PEOPLE, ['thing', 'food']),
  tv('show', 'showed', 'montré', PEOPLE, ['thing', 'food', 'animal']),
  tv('send', 'sent', 'envoyé', PEOPLE, ['thing']),
];

export interface Preposition {
  en: string;
  /** French words ("près de" is two); a final "de" or "à" contracts with le / les (du, des, au, aux). */
  fr: readonly string[];
  /** Kinds of noun it takes. */
  object: readonly NounClass[];
}

export const PREPOSITIONS: readonly Preposition[] = [
  { en: 'in', fr: ['dans'], object: ['place'] },
  { en: 'on', fr: ['sur'], object: ['surface'] },
  { en: 'under', fr: ['sous'], object: ['surface'] },
  { en: 'behind', fr: ['derrière'], object: ['place', 'surface', 'person'] },
  { en: 'near', fr: ['près', 'de'], object: ['place', 'surface', 'thing'] },
  { en: 'with', fr: ['avec'], object: ['person', 'animal'] },
];

export interface Connective {
  en: string;
  fr: readonly string[];
}

export const CONNECTIVES: readonly Connective[] = [
  { en: 'and', fr: ['et'] },
  { en: 'but', fr: ['mais'] },
  { en: 'because', fr: ['parce', 'que'] },
  { en: 'while', fr: ['pendant', 'que'] },
];

export const ADVERBS: readonly Connective[] = [
  { en: 'yesterday', fr: ['hier'] },
  { en: 'today', fr: ["aujourd'hui"] },
];
