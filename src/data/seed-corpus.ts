/**
 * The built-in seed corpus: generated English -> French sentence pairs with a gold word alignment.
 *
 * A small grammar (clauses joined by and / but / because / while; noun phrases with determiners, adjectives,
 * prepositional phrases and relative clauses) over the lexicon of seed-lexicon.ts is realized in both languages
 * at once, so every French word knows which English words it translates. It covers what attention has to learn:
 * - gender and elision: le / la / l' / les, un / une, "l'oiseau", "le vieil homme", du / des / au / aux, d', qu', n';
 * - adjectives after the noun ("the black cat" -> "le chat noir"), a few before it (petit, grand, vieux / vieil),
 *   with agreement (noir, noire, noirs, noires);
 * - the simple past as passé composé, one word to two ("ate" -> "a mangé", "ont mangé", "est arrivée");
 * - negation ("did not eat" -> "n'a pas mangé");
 * - relative clauses with "qui" / "que" (and the participle agreeing with a preceding object: "la souris que le chat
 *   a vue"), prepositional phrases and coordination, so that some sentences reach 40+ words.
 *
 * Strings are lowercase and normalized; the alignment is Pharaoh "i-j" pairs (English word i, French word j,
 * 0-based) over the tokens of tokenize() (English with lang 'en', French with lang 'fr').
 */
import { Rng } from '../engine/random.js';
import { detokenize } from './tokenize.js';
import { splitTrainDev } from './split.js';
import {
  ADJECTIVES, ADVERBS, CONNECTIVES, DITRANSITIVE_VERBS, INTRANSITIVE_VERBS, NOUNS, PREPOSITIONS, TRANSITIVE_VERBS,
  type Adjective, type Connective, type Noun, type NounClass, type Preposition, type Verb,
} from './seed-lexicon.js';

export interface SeedPair {
  src: string;
  tgt: string;
  /** [English index, French index] pairs, sorted. */
  alignment: [number, number][];
}

export interface SeedExample extends SeedPair {
  id: string;
  /** What the example shows. */
  note: string;
}

type Det = 'the' | 'a' | 'my' | 'this' | 'two' | 'three' | 'some';

interface NP { noun: Noun; plural: boolean; det: Det; adjs: Adjective[]; pp?: PP; rel?: Rel }
interface PP { prep: Preposition; np: NP }
type Rel = { kind: 'subj'; vp: VP } | { kind: 'obj'; subj: NP; vp: VP };
interface VP { verb: Verb; neg: boolean; obj?: NP; to?: NP; pp?: PP; adv?: Connective }
interface Clause { subj: NP; vp: VP }

interface EnTok { w: string }
type FrKind = 'def' | 'defpl' | 'de' | 'a' | 'que' | 'ne' | 'ce' | 'ma' | 'adjv';
interface FrTok { w: string; links: EnTok[]; kind?: FrKind; vowelForm?: string }
interface Out { en: EnTok[]; fr: FrTok[] }

interface Agreement { gender: 'm' | 'f'; plural: boolean }

const FR_VOWEL = /^[aeiouyàâäéèêëîïôöùûüœh]/;
const EN_VOWEL = /^[aeiou]/;

function agreementOf(np: NP): Agreement {
  return { gender: np.noun.gender, plural: np.plural };
}

function formIndex(a: Agreement): number {
  return (a.gender === 'f' ? 1 : 0) + (a.plural ? 2 : 0);
}

function participle(pp: string, a: Agreement): string {
  const f = a.gender === 'f' ? pp + 'e' : pp;
  return a.plural && !f.endsWith('s') ? f + 's' : f;
}

function fr(w: string, links: EnTok[], kind?: FrKind): FrTok {
  return kind === undefined ? { w, links } : { w, links, kind };
}

function realizeDet(np: NP, out: Out): void {
  const e: EnTok = { w: np.det === 'this' && np.plural ? 'these' : np.det };
  out.en.push(e);
  const g = np.noun.gender;
  if (np.plural) {
    const w = { the: 'les', a: 'des', my: 'mes', this: 'ces', two: 'deux', three: 'trois', some: 'des' }[np.det];
    out.fr.push(fr(w, [e], np.det === 'the' ? 'defpl' : undefined));
  } else if (np.det === 'the') out.fr.push(fr(g === 'f' ? 'la' : 'le', [e], 'def'));
  else if (np.det === 'my') out.fr.push(g === 'f' ? fr('ma', [e], 'ma') : fr('mon', [e]));
  else if (np.det === 'this') out.fr.push(g === 'f' ? fr('cette', [e]) : fr('ce', [e], 'ce'));
  else out.fr.push(fr(g === 'f' ? 'une' : 'un', [e]));
}

function realizeNP(np: NP, out: Out): void {
  realizeDet(np, out);
  const agr = agreementOf(np);
  const adjToks = np.adjs.map((a) => ({ a, e: { w: a.en } }));
  for (const { e } of adjToks) out.en.push(e);
  const n: EnTok = { w: np.plural ? np.noun.enPl : np.noun.en };
  out.en.push(n);
  for (const { a, e } of adjToks) {
    if (!a.prenominal) continue;
    const t = fr(a.fr[formIndex(agr)], [e]);
    if (a.vowelForm !== undefined && !agr.plural && agr.gender === 'm') {
      t.kind = 'adjv';
      t.vowelForm = a.vowelForm;
    }
    out.fr.push(t);
  }
  out.fr.push(fr(np.plural ? np.noun.frPl : np.noun.fr, [n]));
  for (const { a, e } of adjToks) if (!a.prenominal) out.fr.push(fr(a.fr[formIndex(agr)], [e]));
  if (np.pp) realizePP(np.pp, out);
  if (np.rel) realizeRel(np.rel, agr, out);
}

function realizePP(pp: PP, out: Out): void {
  const e: EnTok = { w: pp.prep.en };
  out.en.push(e);
  for (const w of pp.prep.fr) out.fr.push(fr(w, [e], w === 'de' ? 'de' : undefined));
  realizeNP(pp.np, out);
}

function realizeRel(rel: Rel, antecedent: Agreement, out: Out): void {
  const e: EnTok = { w: 'that' };
  out.en.push(e);
  if (rel.kind === 'subj') {
    out.fr.push(fr('qui', [e]));
    realizeVP(rel.vp, antecedent, null, out);
  } else {
    out.fr.push(fr('que', [e], 'que'));
    realizeNP(rel.subj, out);
    realizeVP(rel.vp, agreementOf(rel.subj), antecedent, out);
  }
}

/** `subject` agrees aux and être participles; `object` (a preceding direct object) agrees avoir participles. */
function realizeVP(vp: VP, subject: Agreement, object: Agreement | null, out: Out): void {
  const v = vp.verb;
  const aux = v.aux === 'avoir' ? (subject.plural ? 'ont' : 'a') : subject.plural ? 'sont' : 'est';
  const agr = v.aux === 'être' ? subject : object;
  const part = agr === null ? v.pp : participle(v.pp, agr);
  if (vp.neg) {
    const did: EnTok = { w: 'did' };
    const not: EnTok = { w: 'not' };
    const base: EnTok = { w: v.en };
    out.en.push(did, not, base);
    out.fr.push(fr('ne', [not], 'ne'), fr(aux, [did]), fr('pas', [not]), fr(part, [base]));
  } else {
    const past: EnTok = { w: v.enPast };
    out.en.push(past);
    out.fr.push(fr(aux, [past]), fr(part, [past]));
  }
  if (vp.obj) realizeNP(vp.obj, out);
  if (vp.to) {
    const to: EnTok = { w: 'to' };
    out.en.push(to);
    out.fr.push(fr('à', [to], 'a'));
    realizeNP(vp.to, out);
  }
  if (vp.pp) realizePP(vp.pp, out);
  if (vp.adv) {
    const e: EnTok = { w: vp.adv.en };
    out.en.push(e);
    for (const w of vp.adv.fr) out.fr.push(fr(w, [e]));
  }
}

/** French elision and contraction (right to left: each word depends on the final form of the next one). */
function frenchSurface(toks: FrTok[]): FrTok[] {
  const res: FrTok[] = [];
  for (let i = toks.length - 1; i >= 0; i--) {
    const t = { ...toks[i] as FrTok };
    const next = res[0];
    const vowel = next !== undefined && FR_VOWEL.test(next.w);
    const article = next !== undefined && next.kind === 'def' && next.w === 'le';
    const plural = next !== undefined && next.kind === 'defpl';
    if (t.kind === 'adjv' && vowel && t.vowelForm !== undefined) t.w = t.vowelForm;
    else if (t.kind === 'def' && vowel) t.w = "l'";
    else if (t.kind === 'ce' && vowel) t.w = 'cet';
    else if (t.kind === 'ma' && vowel) t.w = 'mon';
    else if ((t.kind === 'de' || t.kind === 'a') && next !== undefined && (article || plural)) {
      const w = t.kind === 'de' ? (article ? 'du' : 'des') : article ? 'au' : 'aux';
      res[0] = { w, links: [...t.links, ...next.links] };
      continue;
    } else if (t.kind === 'de' && vowel) t.w = "d'";
    else if (t.kind === 'que' && vowel) t.w = "qu'";
    else if (t.kind === 'ne' && vowel) t.w = "n'";
    res.unshift(t);
  }
  return res;
}

function toPair(out: Out): SeedPair {
  const en = out.en.map((t) => ({ ...t }));
  for (let i = en.length - 2; i >= 0; i--) {
    const t = en[i] as EnTok;
    if (t.w === 'a' && EN_VOWEL.test((en[i + 1] as EnTok).w)) t.w = 'an';
  }
  const frToks = frenchSurface(out.fr);
  const index = new Map<EnTok, number>(out.en.map((t, i) => [t, i]));
  const alignment: [number, number][] = [];
  frToks.forEach((t, j) => {
    for (const l of t.links) alignment.push([index.get(l) as number, j]);
  });
  alignment.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  return {
    src: en.map((t) => t.w).join(' '),
    tgt: detokenize(frToks.map((t) => t.w), { lang: 'fr' }),
    alignment,
  };
}

function realizeSentence(clauses: Clause[], connectives: Connective[]): SeedPair {
  const out: Out = { en: [], fr: [] };
  clauses.forEach((c, i) => {
    if (i > 0) {
      const conn = connectives[i - 1] as Connective;
      const e: EnTok = { w: conn.en };
      out.en.push(e);
      conn.fr.forEach((w) => out.fr.push(fr(w, [e], w === 'que' ? 'que' : undefined)));
    }
    realizeNP(c.subj, out);
    realizeVP(c.vp, agreementOf(c.subj), null, out);
  });
  return toPair(out);
}

/** Random sentences from the grammar; `rich` in [0, 1] makes modifiers more likely (longer sentences). */
class Generator {
  constructor(private readonly rng: Rng) {}

  private pick<T>(xs: readonly T[]): T {
    return xs[this.rng.int(xs.length)] as T;
  }

  private chance(p: number): boolean {
    return this.rng.next() < p;
  }

  np(classes: readonly NounClass[], depth: number, rich: number, plainDet = false): NP {
    const noun = this.pick(NOUNS.filter((n) => n.classes.some((c) => classes.includes(c))));
    const plural = this.chance(0.3);
    const det: Det = plainDet
      ? 'the'
      : plural
        ? this.pick<Det>(['the', 'the', 'the', 'the', 'my', 'this', 'two', 'three', 'some'])
        : this.pick<Det>(['the', 'the', 'the', 'the', 'a', 'a', 'my', 'this']);
    const adjs: Adjective[] = [];
    const fitting = ADJECTIVES.filter((a) => a.describes === undefined || a.describes.some((c) => noun.classes.includes(c)));
    if (this.chance(0.3 + 0.3 * rich)) adjs.push(this.pick(fitting));
    const first = adjs[0];
    const others = fitting.filter((a) => first !== undefined && a.prenominal !== first.prenominal);
    if (others.length > 0 && this.chance(0.1 + 0.2 * rich)) {
      adjs.push(this.pick(others));
      adjs.sort((x, y) => Number(y.prenominal) - Number(x.prenominal));
    }
    const np: NP = { noun, plural, det, adjs };
    if (depth < 2 && this.chance(0.3 * rich)) {
      const pp = this.pp(noun, depth + 1, rich);
      if (pp) np.pp = pp;
    }
    if (depth < 2 && this.chance(0.35 * rich)) {
      const rel = this.rel(noun, depth + 1, rich);
      if (rel) np.rel = rel;
    }
    return np;
  }

  pp(head: Noun | null, depth: number, rich: number): PP | undefined {
    const preps = head !== null && head.classes.includes('place') ? PREPOSITIONS.filter((p) => p.en !== 'in') : PREPOSITIONS;
    const prep = this.pick(preps);
    const np = this.np(prep.object, depth, rich * 0.5, true);
    if (head !== null && np.noun === head) return undefined;
    np.det = this.pick<Det>(np.plural ? ['the', 'the', 'my', 'this', 'two'] : ['the', 'the', 'the', 'a', 'my', 'this']);
    return { prep, np };
  }

  /** A relative clause on `antecedent`, or undefined when no verb takes it (as subject or object). */
  rel(antecedent: Noun, depth: number, rich: number): Rel | undefined {
    const animate = antecedent.classes.includes('animal') || antecedent.classes.includes('person');
    if (animate && this.chance(0.5)) return { kind: 'subj', vp: this.vp(antecedent, depth, rich * 0.6) };
    const verbs = TRANSITIVE_VERBS.filter((v) => (v.object ?? []).some((c) => antecedent.classes.includes(c)));
    if (verbs.length === 0) return undefined;
    const verb = this.pick(verbs);
    const subj = this.np(verb.subject, depth + 1, rich * 0.4);
    const vp: VP = { verb, neg: this.chance(0.1) };
    if (this.chance(0.25 * rich)) this.addAdjunct(vp, depth, rich);
    return { kind: 'obj', subj, vp };
  }

  vp(subject: Noun, depth: number, rich: number): VP {
    const fits = (v: Verb): boolean => v.subject.some((c) => subject.classes.includes(c));
    const r = this.rng.next();
    const pool = r < 0.6 ? TRANSITIVE_VERBS : r < 0.85 ? INTRANSITIVE_VERBS : DITRANSITIVE_VERBS;
    const candidates = pool.filter(fits);
    const verb = this.pick(candidates.length > 0 ? candidates : INTRANSITIVE_VERBS);
    const neg = this.chance(0.15);
    const vp: VP = { verb, neg };
    if (verb.object !== undefined) {
      vp.obj = this.np(verb.object, depth + 1, rich);
      if (neg && (vp.obj.det === 'a' || vp.obj.det === 'some')) vp.obj.det = 'the';
    }
    if (DITRANSITIVE_VERBS.includes(verb)) vp.to = this.np(['person'], depth + 1, rich * 0.5);
    if (this.chance(verb.object === undefined ? 0.5 : 0.1 + 0.3 * rich)) this.addAdjunct(vp, depth, rich);
    if (this.chance(0.08)) vp.adv = this.pick(ADVERBS);
    return vp;
  }

  private addAdjunct(vp: VP, depth: number, rich: number): void {
    const pp = this.pp(null, depth + 1, rich);
    if (pp) vp.pp = pp;
  }

  clause(rich: number): Clause {
    const subj = this.np(['animal', 'person'], 0, rich);
    return { subj, vp: this.vp(subj.noun, 0, rich) };
  }

  /** A sentence aiming at about `target` English words. */
  sentence(target: number): SeedPair {
    const rich = Math.min(1, Math.max(0, (target - 4) / 20));
    const clauses = [this.clause(rich)];
    const connectives: Connective[] = [];
    let words = clauseLength(clauses[0] as Clause);
    while (words < target - 3 && clauses.length < 8) {
      connectives.push(this.pick(CONNECTIVES));
      const c = this.clause(rich);
      clauses.push(c);
      words += 1 + clauseLength(c);
    }
    return realizeSentence(clauses, connectives);
  }
}

/** English words of a clause. */
function clauseLength(c: Clause): number {
  const out: Out = { en: [], fr: [] };
  realizeNP(c.subj, out);
  realizeVP(c.vp, agreementOf(c.subj), null, out);
  return out.en.length;
}

function countWords(s: string): number {
  return s.split(' ').length;
}

/** Draw a target length: mostly short, a tail of long sentences (3 to 50+ words). */
function targetLength(rng: Rng): number {
  const u = rng.next();
  if (u < 0.5) return 3 + rng.int(5);
  if (u < 0.78) return 8 + rng.int(8);
  if (u < 0.93) return 16 + rng.int(14);
  return 30 + rng.int(25);
}

export interface SeedCorpusOptions {
  /** Number of pairs. */
  size: number;
  seed: number;
  /** Longest English sentence in words (default: no limit). */
  maxWords?: number;
}

/**
 * Generate `size` pairs, deterministic for a seed. The first pair is always "the black cat ate the mouse" ->
 * "le chat noir a mangé la souris"; sources are unique while the grammar allows it.
 */
export function generateSeedCorpus(opts: SeedCorpusOptions): SeedPair[] {
  if (!Number.isInteger(opts.size) || opts.size < 1) throw new Error(`generateSeedCorpus: size must be a positive integer, got ${opts.size}`);
  const maxWords = opts.maxWords ?? Infinity;
  if (maxWords < 6) throw new Error(`generateSeedCorpus: maxWords must be at least 6, got ${maxWords}`);
  const rng = new Rng(opts.seed);
  const gen = new Generator(rng);
  const demo = seedExamples()[0] as SeedExample;
  const pairs: SeedPair[] = [{ src: demo.src, tgt: demo.tgt, alignment: demo.alignment }];
  const seen = new Set<string>([demo.src]);
  let misses = 0;
  while (pairs.length < opts.size) {
    const target = Math.min(targetLength(rng), maxWords);
    let pair = gen.sentence(target);
    for (let tries = 0; countWords(pair.src) > maxWords && tries < 50; tries++) pair = gen.sentence(Math.min(target, 5));
    if (countWords(pair.src) > maxWords) continue;
    if (seen.has(pair.src) && misses < 1000) {
      misses++;
      continue;
    }
    misses = 0;
    seen.add(pair.src);
    pairs.push(pair);
  }
  return pairs;
}

function lookup<T extends { en: string }>(xs: readonly T[], en: string): T {
  const x = xs.find((v) => v.en === en);
  if (x === undefined) throw new Error(`seed lexicon: no entry ${JSON.stringify(en)}`);
  return x;
}

const noun = (en: string): Noun => lookup(NOUNS, en);
const adj = (en: string): Adjective => lookup(ADJECTIVES, en);
const verb = (en: string): Verb => lookup([...TRANSITIVE_VERBS, ...INTRANSITIVE_VERBS, ...DITRANSITIVE_VERBS], en);
const prep = (en: string): Preposition => lookup(PREPOSITIONS, en);
const conn = (en: string): Connective => lookup([...CONNECTIVES, ...ADVERBS], en);

function the(n: string, adjs: string[] = [], plural = false, extra: Partial<NP> = {}): NP {
  return { noun: noun(n), plural, det: 'the', adjs: adjs.map(adj), ...extra };
}

/** The showcase sentences (fixed) with their references. */
export function seedExamples(): SeedExample[] {
  const mk = (id: string, note: string, clauses: Clause[], conns: string[] = []): SeedExample => ({
    id, note, ...realizeSentence(clauses, conns.map(conn)),
  });
  return [
    mk('black-cat', 'adjective after the noun (black cat -> chat noir) and ate -> a mangé',
      [{ subj: the('cat', ['black']), vp: { verb: verb('eat'), neg: false, obj: the('mouse') } }]),
    mk('reordering', 'adjectives on both sides of the noun, vieux -> vieil before a vowel',
      [{ subj: the('man', ['old']), vp: { verb: verb('see'), neg: false, obj: the('bird', ['small', 'white']) } }]),
    mk('one-to-many', 'plural agreement: ate -> ont mangé, green -> vertes',
      [{ subj: the('girl', [], true), vp: { verb: verb('eat'), neg: false, obj: the('apple', ['green'], true) } }]),
    mk('negation', 'did not eat -> n\'a pas mangé',
      [{ subj: the('dog'), vp: { verb: verb('eat'), neg: true, obj: the('cake') } }]),
    mk('relative-clause', 'que + participle agreement with the preceding object (vue), être agreement (arrivée)',
      [{
        subj: the('mouse', [], false, { rel: { kind: 'obj', subj: the('cat'), vp: { verb: verb('see'), neg: false } } }),
        vp: { verb: verb('arrive'), neg: false },
      }]),
    mk('long', 'a long sentence: relative clauses, prepositional phrases, coordination',
      [
        {
          subj: the('farmer', ['old'], false, {
            rel: { kind: 'obj', subj: the('child', ['small'], true), vp: { verb: verb('see'), neg: false, pp: { prep: prep('in'), np: the('garden') } } },
          }),
          vp: { verb: verb('give'), neg: false, obj: the('apple', ['red'], true), to: the('teacher', ['young']), pp: { prep: prep('near'), np: the('river') } },
        },
        {
          subj: the('dog', ['black'], false, { rel: { kind: 'subj', vp: { verb: verb('eat'), neg: false, obj: the('cheese') } } }),
          vp: { verb: verb('find'), neg: true, obj: the('mouse', ['white']), pp: { prep: prep('behind'), np: the('house') } },
        },
        { subj: the('girl', ['happy'], true), vp: { verb: verb('arrive'), neg: false, pp: { prep: prep('in'), np: the('city') }, adv: conn('yesterday') } },
      ], ['because', 'and']),
  ];
}

/** The pairs as TSV text: English TAB French, one pair a line. */
export function seedTsv(pairs: readonly SeedPair[]): string {
  return pairs.map((p) => `${p.src}\t${p.tgt}\n`).join('');
}

/** The gold alignments as Pharaoh text (`i-j` source-target word links), one pair a line. */
export function seedAlignments(pairs: readonly SeedPair[]): string {
  return pairs.map((p) => `${p.alignment.map(([i, j]) => `${i}-${j}`).join(' ')}\n`).join('');
}

/** Sizes of a seed-corpus split: pairs generated, longest English sentence, dev and test pairs held out. */
export interface SeedSplitSizes {
  size: number;
  maxWords: number;
  dev: number;
  test: number;
}

/**
 * The seed corpus split into train, dev and test (deterministic for a seed). The first pair, the demo
 * sentence, stays in training. `attnmt data get seed` and the demo write this split to disk
 * (seed-files.ts); the page's "Train here" makes the same one in the browser.
 */
export function splitSeedCorpus(seed: number, sizes: SeedSplitSizes): { train: SeedPair[]; dev: SeedPair[]; test: SeedPair[] } {
  const all = generateSeedCorpus({ size: sizes.size, seed, maxWords: sizes.maxWords });
  // The first pair is the demo sentence: it stays in training.
  const [first, ...rest] = all as [SeedPair, ...SeedPair[]];
  const { train: trainRest, dev: heldOut } = splitTrainDev(rest, { devSize: sizes.dev + sizes.test, seed: seed + 7 });
  const dev = heldOut.slice(0, sizes.dev);
  const test = heldOut.slice(sizes.dev);
  const train = [first, ...trainRest];
  return { train, dev, test };
}
