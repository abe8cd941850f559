// Elaboration: collect the module tree of a top ModuleDef into a Design, each distinct module
// once (equal hardware shares a name; different hardware under one name gets a numeric suffix),
// then validate it. Diagnostics from building and from validation are returned together.
import type { Design, Module } from '../ir/index.js';
import { dumpModuleBody } from '../ir/index.js';
import type { Diagnostic } from '../diagnostics.js';
import { DiagnosticError, hasErrors } from '../diagnostics.js';
import { validateDesign } from '../validate.js';
import type { ModuleDef } from './module.js';

export interface Elaborated {
  readonly design: Design;
  readonly diagnostics: readonly Diagnostic[];
}

export function elaborate(top: ModuleDef): Elaborated {
  const diagnostics: Diagnostic[] = [];
  const finalName = new Map<ModuleDef, string>();
  const byName = new Map<string, { body: string; module: Module }[]>();
  const modules: Module[] = [];
  const seenDiag = new Set<ModuleDef>();

  const visit = (def: ModuleDef): string => {
    const known = finalName.get(def);
    if (known) return known;
    for (const c of def.children) visit(c);
    if (!seenDiag.has(def)) {
      seenDiag.add(def);
      diagnostics.push(...def.diagnostics);
    }
    // Instances refer to children by their built name; map them to the elaborated names.
    const instances = def.module.instances.map((i) => {
      const child = def.children.find((c) => c.module.name === i.module);
      return child ? { ...i, module: finalName.get(child)! } : i;
    });
    const renamed: Module = { ...def.module, instances };
    const body = dumpModuleBody(renamed);
    const base = def.module.name;
    const variants = byName.get(base) ?? [];
    let found = variants.find((v) => v.body === body);
    if (!found) {
      const name = variants.length === 0 ? base : `${base}_${variants.length + 1}`;
      found = { body, module: { ...renamed, name } };
      variants.push(found);
      byName.set(base, variants);
      modules.push(found.module);
    }
    finalName.set(def, found.module.name);
    return found.module.name;
  };

  const topName = visit(top);
  const design: Design = { top: topName, modules };
  // Validation re-checks what the builder may already have reported (it must stand alone for
  // hand-built IR); one problem is reported once, by whichever saw it first.
  const key = (d: Diagnostic): string => `${d.code} ${d.loc ? `${d.loc.file}:${d.loc.line}:${d.loc.col}` : ''}`;
  const reported = new Set(diagnostics.map(key));
  for (const d of validateDesign(design)) {
    const k = key(d);
    if (!reported.has(k)) diagnostics.push(d);
    reported.add(k);
  }
  return { design, diagnostics };
}

/** Elaborate and throw a DiagnosticError when there is any error. */
export function build(top: ModuleDef): Design {
  const { design, diagnostics } = elaborate(top);
  if (hasErrors(diagnostics)) throw new DiagnosticError(diagnostics);
  return design;
}
