# The functions a model's formula calls (ns(), rcs(), Surv(), poly()...) and those a
# score.R calls, and the packages exporting them. predict() evaluates the formula's
# variables (its terms' `predvars`) in the formula's environment, the global environment of
# the scoring process for a model fitted at the top level: the packages of those functions
# must be attached there, as they were where the model was fitted.

# The names of the functions an expression calls, the packages it names (pkg::fn, and
# library(pkg) or require(pkg)), and the names it defines (assigned, or a function's
# arguments): list(functions, packages, defined).
called_names <- function(expr) {
  functions <- character()
  packages <- character()
  defined <- character()
  walk <- function(e) {
    if (is.expression(e)) {
      lapply(e, walk)
      return(invisible())
    }
    if (is.pairlist(e)) {
      defined <<- c(defined, names(e))
      lapply(as.list(e), walk)
      return(invisible())
    }
    if (!is.call(e)) return(invisible())
    head <- e[[1L]]
    name <- if (is.symbol(head)) as.character(head) else ""
    if (name %in% c("::", ":::")) {
      packages <<- c(packages, as.character(e[[2L]]))
      return(invisible())
    }
    if (nzchar(name)) functions <<- c(functions, name) else walk(head)
    args <- as.list(unclass(e))[-1L]  # (a terms object's `[` method drops terms)
    if (name %in% c("<-", "=", "<<-") && length(args) && (is.symbol(args[[1L]]) || is.character(args[[1L]]))) {
      defined <<- c(defined, as.character(args[[1L]]))
    }
    if (name == "assign" && length(args) && is.character(args[[1L]])) defined <<- c(defined, args[[1L]])
    if (name %in% c("library", "require") && length(args) && (is.symbol(args[[1L]]) || is.character(args[[1L]])) &&
        !isTRUE(args$character.only)) {
      packages <<- c(packages, as.character(args[[1L]]))
    }
    lapply(args, walk)
    invisible()
  }
  walk(expr)
  list(functions = unique(functions), packages = unique(packages), defined = unique(defined))
}

# The formulas a model holds, as list(expr, env, strict): its terms' variables and
# `predvars` (what predict() evaluates), and the formulas and terms among its members or
# slots (two levels down) and in the call that fitted it. `strict` marks the variables of
# the model's terms on the right-hand side that are not a fitting function's specials
# (strata() and the like): a function there that no package exports is refused.
formula_sources <- function(model) {
  sources <- list()
  main <- tryCatch(stats::terms(model), error = function(e) NULL)
  if (inherits(main, "formula")) sources <- terms_sources(main, strict = TRUE)
  for (f in held_formulas(model)) {
    sources <- c(sources, if (inherits(f, "terms")) terms_sources(f) else list(list(expr = f, env = environment(f), strict = FALSE)))
  }
  call <- model_call(model)
  if (!is.null(call)) {
    for (arg in as.list(call)[-1L]) {
      if (is.call(arg) && identical(arg[[1L]], as.name("~"))) sources <- c(sources, list(list(expr = arg, env = NULL, strict = FALSE)))
    }
  }
  sources
}

# A terms object's formula, and each of its variables (`predvars` where it has them): the
# response and the specials not strict.
terms_sources <- function(tt, strict = FALSE) {
  env <- environment(tt)
  out <- list(list(expr = tt, env = env, strict = FALSE))
  vars <- attr(tt, "predvars")
  if (is.null(vars)) vars <- attr(tt, "variables")
  if (!is.call(vars)) return(out)
  loose <- c(attr(tt, "response"), unlist(attr(tt, "specials")))
  for (i in seq_along(vars)[-1L]) {
    out <- c(out, list(list(expr = vars[[i]], env = env, strict = strict && !((i - 1L) %in% loose))))
  }
  out
}

# The formulas and terms among a model's list members or S4 slots, `depth` levels down.
held_formulas <- function(x, depth = 2L) {
  parts <- if (isS4(x)) {
    slots <- tryCatch(methods::slotNames(class(x)), error = function(e) character())
    lapply(slots, function(s) tryCatch(methods::slot(x, s), error = function(e) NULL))
  } else if (is.list(x) && !is.data.frame(x)) {
    unclass(x) # its own members, not what a length() or [[ method of its class says (partykit's party)
  } else {
    list()
  }
  out <- list()
  for (part in parts) {
    if (inherits(part, "formula")) {
      out <- c(out, list(part))
    } else if (depth > 1L && (isS4(part) || (is.list(part) && !is.data.frame(part)))) {
      out <- c(out, held_formulas(part, depth - 1L))
    }
  }
  out
}

# Whether `name` is defined in the environment a formula carries, the local frames a model
# fitted inside a function keeps, or a namespace (not the global environment, which is
# empty in the scoring process).
carried_by_formula <- function(name, env) {
  while (is.environment(env) && !identical(env, globalenv()) && !identical(env, emptyenv()) && !identical(env, baseenv())) {
    if (exists(name, envir = env, inherits = FALSE)) return(TRUE)
    env <- parent.env(env)
  }
  FALSE
}

default_exports <- function() unlist(installed_index()$exports[DEFAULT_PACKAGES], use.names = FALSE)

# The packages the functions of the model's formula and score.R come from, beyond `needed`
# (the model's own packages), in the order first found. A function called pkg::fn names its
# package; one the formula's environment defines, or a default package exports, needs none;
# otherwise the installed package exporting it, chosen by choose_package(): names one
# package alone exports first, so that those settle the choice between several for the
# others. A function the formula's variables call that no installed package exports is
# refused, unless a score.R may define it; names in score.R no package exports are its own.
formula_packages <- function(model, needed = character(), score_path = NULL) {
  named <- character()
  wanted <- list()
  carried <- character()
  for (src in formula_sources(model)) {
    found <- called_names(src$expr)
    named <- c(named, found$packages)
    for (fn in found$functions) {
      if (carried_by_formula(fn, src$env)) carried <- c(carried, fn) else wanted[[fn]] <- isTRUE(wanted[[fn]]) || src$strict
    }
  }
  wanted <- wanted[setdiff(names(wanted), carried)]
  if (!is.null(score_path)) {
    found <- called_names(parse(score_path, keep.source = FALSE))
    named <- c(named, found$packages)
    for (fn in setdiff(found$functions, found$defined)) if (is.null(wanted[[fn]])) wanted[[fn]] <- FALSE
  }
  fns <- setdiff(names(wanted), default_exports())
  exporters <- lapply(stats::setNames(fns, fns), exporting_packages)
  unknown <- fns[lengths(exporters) == 0L & unlist(wanted[fns])]
  if (length(unknown) && is.null(score_path)) unexported_functions(unknown)
  pkgs <- unique(c(named, unlist(exporters[lengths(exporters) == 1L], use.names = FALSE)))
  for (fn in fns[lengths(exporters) > 1L]) {
    pkgs <- c(pkgs, choose_package(exporters[[fn]], unique(c(needed, pkgs))))
  }
  setdiff(unique(pkgs), needed)
}

unexported_functions <- function(fns) {
  calls <- paste0(fns, "()", collapse = ", ")
  stop(sprintf(paste0("the model's formula calls %s, which no installed R package exports: install the package it comes from, ",
                      "or publish a score.R that defines it where the formula finds it (score.R runs in its own environment: ",
                      "%s <<- function(...) ... puts it in the global one)"),
               calls, fns[[1L]]), call. = FALSE)
}
