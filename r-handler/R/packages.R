# The R packages a model needs. An .rds file does not record them, so they are found: the
# package that owns the model's class (read from every installed package's namespace data,
# not from a list of classes), the package of an S4 class, the namespaces the object itself
# refers to, and the packages exporting the functions its formula and score.R call
# (formula_functions.R).
# describe.R records them in model.json ("packages", with "packageVersions"); the handler
# attaches them before loading the scorer.

# The packages R attaches in every session: a model needs nothing attached for them.
DEFAULT_PACKAGES <- c("base", "methods", "datasets", "utils", "grDevices", "graphics", "stats")

packages_cache <- new.env(parent = emptyenv())

# Forgets what was read of the installed packages (after installing one, say). The cache is
# also dropped by itself when .libPaths() changes.
reset_packages_cache <- function() {
  rm(list = ls(packages_cache, all.names = TRUE), envir = packages_cache)
  invisible()
}

# What every installed package declares, read once from its DESCRIPTION and namespace data
# (Meta/nsInfo.rds), without loading it: list(packages, priority, depends (Depends and
# Imports), imports (the namespaces it imports from), exports, methods (installed_s3_methods)).
# The first of a name on .libPaths() wins, as library() finds it.
installed_index <- function() {
  key <- paste(.libPaths(), collapse = "\n")
  if (identical(packages_cache$key, key)) return(packages_cache$index)
  ip <- utils::installed.packages(fields = character())
  ip <- ip[!duplicated(ip[, "Package"]), , drop = FALSE]
  pkgs <- unname(ip[, "Package"])
  info <- stats::setNames(lapply(seq_along(pkgs), function(i) {
    path <- file.path(ip[i, "LibPath"], pkgs[[i]], "Meta", "nsInfo.rds")
    if (file.exists(path)) tryCatch(readRDS(path), error = function(e) NULL) else NULL
  }), pkgs)
  exports <- stats::setNames(lapply(pkgs, function(p) package_exports(p, info[[p]], ip[ip[, "Package"] == p, "LibPath"])), pkgs)
  index <- list(
    packages = pkgs,
    priority = stats::setNames(ip[, "Priority"], pkgs),
    depends = stats::setNames(lapply(seq_along(pkgs), function(i) dependency_names(ip[i, c("Depends", "Imports")])), pkgs),
    imports = stats::setNames(lapply(info, function(x) unique(vapply(x$imports, function(entry) entry[[1L]][[1L]], ""))), pkgs),
    exports = exports
  )
  index$methods <- registered_methods(index, info)
  packages_cache$index <- index
  packages_cache$key <- key
  index
}

# The names a package exports: its namespace's export list, the exported generics of its S4
# methods, and the names of its lazy-load index matching its export patterns. The default
# packages' from their loaded namespaces (base has no namespace data).
package_exports <- function(pkg, info, lib) {
  if (pkg %in% DEFAULT_PACKAGES) {
    return(if (pkg == "base") ls(baseenv(), all.names = TRUE) else getNamespaceExports(pkg))
  }
  if (is.null(info)) return(character())
  names <- c(info$exports, info$exportMethods)
  if (length(info$exportPatterns)) {
    rdx <- file.path(lib, pkg, "R", paste0(pkg, ".rdx"))
    defined <- if (file.exists(rdx)) names(tryCatch(readRDS(rdx)$variables, error = function(e) NULL)) else character()
    for (pattern in info$exportPatterns) {
      names <- c(names, tryCatch(grep(pattern, defined, value = TRUE), error = function(e) character()))
    }
  }
  unique(names)
}

# The package names of DESCRIPTION dependency fields ("MASS (>= 7.3), stats").
dependency_names <- function(fields) {
  fields <- fields[!is.na(fields)]
  if (!length(fields)) return(character())
  names <- trimws(sub("\\(.*$", "", unlist(strsplit(fields, ",", fixed = TRUE))))
  setdiff(unique(names[nzchar(names)]), "R")
}

# Every installed package's registered S3 methods: a data frame (package, generic, class,
# kind). `kind` says whose generic it is: "model" for a generic of the default packages
# (predict, coef, print, summary...), "foreign" for one the package imports from another
# (broom's tidy(), from generics), "own" otherwise (the package's own generic).
registered_methods <- function(index, info) {
  defaults <- unlist(index$exports[DEFAULT_PACKAGES], use.names = FALSE)
  rows <- lapply(index$packages, function(p) {
    m <- info[[p]]$S3methods
    if (is.null(m) || length(m) == 0L) return(NULL)
    m <- matrix(m, ncol = ncol(m))
    imported <- unlist(index$exports[intersect(index$imports[[p]], index$packages)], use.names = FALSE)
    delayed <- if (ncol(m) >= 4L) !is.na(m[, 4L]) else rep(FALSE, nrow(m))
    kind <- ifelse(m[, 1L] %in% defaults, "model", ifelse(delayed | m[, 1L] %in% imported, "foreign", "own"))
    data.frame(package = p, generic = m[, 1L], class = m[, 2L], kind = kind, stringsAsFactors = FALSE)
  })
  empty <- data.frame(package = character(), generic = character(), class = character(), kind = character())
  do.call(rbind, c(list(empty), rows))
}

installed_s3_methods <- function() installed_index()$methods

is_installed <- function(pkg) pkg %in% installed_index()$packages

# The installed packages exporting `name`.
exporting_packages <- function(name) {
  exports <- installed_index()$exports
  names(exports)[vapply(exports, function(e) name %in% e, TRUE)]
}

# A package's Depends and Imports, theirs, and so on: breadth first, nearest first.
package_dependencies <- function(pkgs) {
  depends <- installed_index()$depends
  seen <- character()
  frontier <- pkgs
  while (length(frontier)) {
    nxt <- setdiff(unique(unlist(depends[intersect(frontier, names(depends))], use.names = FALSE)), c(seen, pkgs))
    seen <- c(seen, nxt)
    frontier <- nxt
  }
  seen
}

# Of several installed packages offering the same thing (exporting a name, registering
# methods for a class), the one to use, by what the model already needs and never by what
# else happens to be installed, as far as that can be told:
#   1. a package the model already needs (`needed`, in its order);
#   2. else one those depend on or import, nearest first;
#   3. else a package of R's own (priority base or recommended);
#   4. of the rest, those that do not depend on another candidate (a package that
#      re-exports or extends another's name comes after it);
#   5. then by name, in the C locale, so that a tie left is settled the same on every machine.
choose_package <- function(candidates, needed = character()) {
  candidates <- unique(candidates)
  if (length(candidates) <= 1L) return(candidates)
  own <- intersect(needed, candidates)
  if (length(own)) return(own[[1L]])
  near <- intersect(package_dependencies(needed), candidates)
  if (length(near)) return(near[[1L]])
  priority <- installed_index()$priority[candidates]
  core <- candidates[!is.na(priority) & priority %in% c("base", "recommended")]
  if (length(core)) candidates <- core
  roots <- candidates[vapply(candidates, function(p) !any(setdiff(candidates, p) %in% package_dependencies(p)), TRUE)]
  if (length(roots)) candidates <- roots
  sort(candidates, method = "radix")[[1L]]
}

# The package the model's fitting function comes from: the one named in its call
# (pkg::fn), else every installed package exporting the call's function (lm.ridge: MASS).
call_packages <- function(model) {
  call <- model_call(model)
  if (is.null(call)) return(character())
  fn <- call[[1L]]
  if (is.call(fn) && as.character(fn[[1L]]) %in% c("::", ":::")) return(as.character(fn[[2L]]))
  if (is.symbol(fn)) exporting_packages(as.character(fn)) else character()
}

# The call that fitted the model: getCall(), an S4 `call` slot, or a `call` member.
model_call <- function(model) {
  call <- if (isS4(model)) {
    if (methods::.hasSlot(model, "call")) methods::slot(model, "call") else NULL
  } else {
    tryCatch(stats::getCall(model), error = function(e) model_member(model, "call"))
  }
  if (is.call(call)) call else NULL
}

# The package owning one of the model's classes, or NULL when no installed package
# registers methods for any. For each class in turn, most specific first, the packages
# registering methods for it are weighed:
#   - one the model itself points to (an S4 class's package, its fitting call's, a
#     namespace the saved object refers to: `evidence`) is taken first;
#   - one that depends on such a package, where that registers methods for one of the
#     model's classes, extends it (pbkrtest's methods for lme4's lmerMod): not an owner;
#   - else only packages registering methods of the model's own generics (predict, coef,
#     print... of the default packages) or of their own generics count: one that only adds
#     methods to another package's generics (broom's tidy()) owns no class;
#   - of those, the packages that do not depend on another (an extension comes after the
#     package it extends), then the one registering the most such methods, then
#     choose_package().
# A class none of these own passes to the next class (a subclass's package's methods come
# first, its superclass's after).
class_owner <- function(model, evidence = character()) {
  registry <- installed_s3_methods()
  classes <- s3_classes(model)
  confirmed <- setdiff(intersect(evidence, registry$package[registry$class %in% classes]), DEFAULT_PACKAGES)
  extends <- function(p) any(confirmed %in% package_dependencies(p))
  for (cls in classes) {
    rows <- registry[registry$class == cls, , drop = FALSE]
    if (!nrow(rows)) next
    pointed <- intersect(evidence, rows$package)
    if (length(pointed)) return(pointed[[1L]])
    extension <- vapply(unique(rows$package), extends, TRUE)
    rows <- rows[rows$kind != "foreign" & !extension[rows$package], , drop = FALSE]
    if (!nrow(rows)) next
    counts <- table(rows$package)
    owners <- names(counts)
    roots <- owners[vapply(owners, function(p) !any(setdiff(owners, p) %in% package_dependencies(p)), TRUE)]
    if (length(roots)) owners <- roots
    counts <- counts[owners]
    return(choose_package(names(counts)[counts == max(counts)], evidence))
  }
  NULL
}

# The packages that give this model its methods: the package of an S4 class, and the
# package owning its class (class_owner). `namespaces` are those the saved object refers
# to (read_model).
predict_packages <- function(model, namespaces = character()) {
  pkgs <- character()
  if (isS4(model)) pkgs <- setdiff(attr(class(model), "package"), ".GlobalEnv")
  evidence <- unique(c(pkgs, namespaces, call_packages(model)))
  setdiff(unique(c(pkgs, class_owner(model, evidence))), DEFAULT_PACKAGES)
}

# Every package to attach before scoring the model, in attach order: its own packages
# (predict_packages, the namespaces the object refers to), then those of the functions its
# formula and score.R call (formula_packages). Refuses, by name, a package that is not
# installed and a formula function no package exports.
model_packages <- function(model, namespaces = character(), score_path = NULL) {
  own <- unique(c(predict_packages(model, namespaces), namespaces))
  pkgs <- unique(c(own, formula_packages(model, own, score_path)))
  pkgs <- setdiff(pkgs, DEFAULT_PACKAGES)
  for (p in pkgs) if (!is_installed(p)) not_installed(p)
  pkgs
}

is_base_package <- function(pkg) {
  identical(suppressWarnings(utils::packageDescription(pkg, fields = "Priority")), "base")
}

package_versions <- function(pkgs) {
  stats::setNames(lapply(pkgs, function(p) as.character(utils::packageVersion(p))), pkgs)
}

not_installed <- function(pkg) {
  stop(sprintf("the model needs the R package '%s', which is not installed", pkg), call. = FALSE)
}

attach_packages <- function(pkgs) {
  for (p in setdiff(unique(pkgs), DEFAULT_PACKAGES)) {
    if (!requireNamespace(p, quietly = TRUE)) not_installed(p)
    suppressPackageStartupMessages(library(p, character.only = TRUE))
  }
}

# readRDS, naming the package when the model refers to one that is not installed:
# list(model, namespaces). readRDS loads the namespaces the object refers to (a family's
# functions, a closure's environment); `namespaces` are those it loaded, less R's own base
# packages (which R itself may load meanwhile, the byte compiler, say) and those loaded
# only as the others' imports.
# readRDS()'s errors for a file that is no .rds at all (text, a CSV, save()'s .RData, an
# empty or cut file) say what the file is not, and how to make one; others are R's own.
NOT_RDS_MESSAGES <- c("unknown input format", "error reading from connection", "bad restore file magic number",
                      "unknown type", "ReadItem: unknown type", "read error")
not_rds_file <- function(e, path, what) {
  reason <- conditionMessage(e)
  if (!any(vapply(NOT_RDS_MESSAGES, function(m) grepl(m, reason, fixed = TRUE), TRUE))) stop(e)
  stop(sprintf("the %s file (%s) is not an .rds file saved with saveRDS(): save it with saveRDS(%s, \"%s.rds\") (R said: %s)",
               what, basename(path), if (what == "model") "fit" else "data", what, reason), call. = FALSE)
}

read_model <- function(path) {
  before <- loadedNamespaces()
  # R reads a reference to a namespace it cannot load as the global environment, warning
  # "namespace 'x' is not available and has been replaced by .GlobalEnv": refuse instead
  unavailable <- function(w) {
    m <- regmatches(conditionMessage(w), regexec("namespace [\u2018'\"]([^\u2019'\"]+)[\u2019'\"] is not available", conditionMessage(w)))[[1L]]
    if (length(m) == 2L) not_installed(m[[2L]])
  }
  # (R says so only when asked to report missing namespaces.)
  old <- Sys.getenv("_R_NO_REPORT_MISSING_NAMESPACES_", NA)
  Sys.setenv("_R_NO_REPORT_MISSING_NAMESPACES_" = "false")
  on.exit(if (is.na(old)) Sys.unsetenv("_R_NO_REPORT_MISSING_NAMESPACES_") else Sys.setenv("_R_NO_REPORT_MISSING_NAMESPACES_" = old))
  model <- withCallingHandlers(
    tryCatch(readRDS(path), packageNotFoundError = function(e) not_installed(e$package),
             error = function(e) not_rds_file(e, path, "model")),
    warning = unavailable
  )
  loaded <- setdiff(loadedNamespaces(), before)
  loaded <- loaded[!vapply(loaded, is_base_package, TRUE)]
  imported <- unlist(lapply(loaded, function(ns) names(getNamespaceImports(ns))))
  list(model = model, namespaces = setdiff(loaded, imported))
}
