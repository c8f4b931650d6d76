# The R packages a model needs. An .rds file does not record them, so they are found: the
# package whose namespace registers the model's predict() method (read from every installed
# package's namespace data, not from a list of classes), the package of an S4 class, and
# the namespaces the object itself refers to.
# describe.R records them in model.json ("packages", with "packageVersions"); the handler
# attaches them before loading the scorer.

BASE_PACKAGES <- c("base", "stats", "utils", "methods", "graphics", "grDevices", "datasets",
                   "tools", "grid", "splines", "stats4", "parallel", "compiler", "tcltk")

packages_cache <- new.env(parent = emptyenv())

# Every installed package's registered S3 methods: a data frame (package, generic, class).
installed_s3_methods <- function() {
  if (!is.null(packages_cache$methods)) return(packages_cache$methods)
  rows <- lapply(unique(rownames(utils::installed.packages())), function(p) {
    info <- system.file("Meta", "nsInfo.rds", package = p)
    if (!nzchar(info)) return(NULL)
    m <- tryCatch(readRDS(info)$S3methods, error = function(e) NULL)
    if (is.null(m) || length(m) == 0L) return(NULL)
    m <- matrix(m, ncol = ncol(m))
    data.frame(package = p, generic = m[, 1L], class = m[, 2L], stringsAsFactors = FALSE)
  })
  empty <- data.frame(package = character(), generic = character(), class = character())
  packages_cache$methods <- do.call(rbind, c(list(empty), rows))
  packages_cache$methods
}

# Of several packages registering methods for a class, the one whose namespace the model
# already loaded (readRDS loads what the object refers to), else one named like the class.
pick_owner <- function(owners, cls) {
  loaded <- intersect(owners, loadedNamespaces())
  if (length(loaded)) return(loaded[[1L]])
  named <- owners[tolower(owners) == tolower(cls)]
  if (length(named)) named[[1L]] else owners[[1L]]
}

# The packages that give this model its methods: the one registering its predict() method,
# or, for a class with none (MASS's lm.ridge), the one registering its other methods
# (coef(), print()...); and the package of an S4 class.
predict_packages <- function(model) {
  pkgs <- character()
  if (isS4(model)) pkgs <- c(pkgs, setdiff(attr(class(model), "package"), ".GlobalEnv"))
  registry <- installed_s3_methods()
  for (generic in list("predict", NULL)) {
    for (cls in s3_classes(model)) {
      owners <- unique(registry$package[registry$class == cls & (is.null(generic) | registry$generic %in% generic)])
      if (length(owners)) return(setdiff(unique(c(pkgs, pick_owner(owners, cls))), BASE_PACKAGES))
    }
  }
  setdiff(unique(pkgs), BASE_PACKAGES)
}

package_versions <- function(pkgs) {
  stats::setNames(lapply(pkgs, function(p) as.character(utils::packageVersion(p))), pkgs)
}

not_installed <- function(pkg) {
  stop(sprintf("the model needs the R package '%s', which is not installed", pkg), call. = FALSE)
}

attach_packages <- function(pkgs) {
  for (p in setdiff(unique(pkgs), BASE_PACKAGES)) {
    if (!requireNamespace(p, quietly = TRUE)) not_installed(p)
    suppressPackageStartupMessages(library(p, character.only = TRUE))
  }
}

# readRDS, naming the package when the model refers to one that is not installed:
# list(model, namespaces). readRDS loads the namespaces the object refers to (a family's
# functions, a closure's environment); `namespaces` are those it loaded, less those loaded
# only as the others' imports.
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
    tryCatch(readRDS(path), packageNotFoundError = function(e) not_installed(e$package)),
    warning = unavailable
  )
  loaded <- setdiff(loadedNamespaces(), c(before, BASE_PACKAGES))
  imported <- unlist(lapply(loaded, function(ns) names(getNamespaceImports(ns))))
  list(model = model, namespaces = setdiff(loaded, imported))
}
