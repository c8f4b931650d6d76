# The prediction types a predict() method declares: the choices of its `type` argument
# (type = c("link", "response")) and the strings its body compares `type` with
# (type == "prob", type %in% c(...), match.arg(type, c(...)), switch(type, a = , b = )).

TYPE_TESTS <- c("==", "!=", "identical", "%in%", "match.arg", "match", "pmatch", "charmatch")

is_missing_arg <- function(e) identical(e, quote(expr = ))

# The string constants in an expression that is a string or c("...", ...).
string_constants <- function(e) {
  if (is.character(e)) return(e)
  if (is.call(e) && identical(e[[1]], as.name("c"))) {
    return(unlist(lapply(as.list(e)[-1], function(a) if (is.character(a)) a else character())))
  }
  character()
}

# Whether an expression is the argument itself, or a call on it alone (tolower(type)).
names_arg <- function(e, arg) {
  if (is.name(e)) return(identical(as.character(e), arg))
  is.call(e) && identical(all.vars(e), arg)
}

type_literals <- function(expr, arg = "type") {
  found <- character()
  walk <- function(e) {
    if (!is.call(e)) return(invisible())
    head <- e[[1]]
    fname <- if (is.name(head)) as.character(head) else ""
    args <- as.list(e)[-1]
    present <- !vapply(args, is_missing_arg, TRUE)
    mentions <- present & vapply(seq_along(args), function(i) present[[i]] && names_arg(args[[i]], arg), TRUE)
    if (fname %in% TYPE_TESTS && any(mentions)) {
      for (i in which(present & !mentions)) found <<- c(found, string_constants(args[[i]]))
    }
    if (fname == "switch" && length(args) > 0 && present[[1]] && names_arg(args[[1]], arg)) {
      arms <- names(args)[-1]
      found <<- c(found, arms[nzchar(arms)])
    }
    if (!is.name(head)) walk(head)
    for (i in which(present)) walk(args[[i]])
    invisible()
  }
  walk(expr)
  unique(found)
}

# The types a method declares, in its own order: the argument's choices first.
declared_types <- function(method) {
  if (is.null(method) || !is.function(method)) return(character())
  f <- formals(method)
  from_default <- if (!is.null(f$type) && !is_missing_arg(f$type)) string_constants(f$type) else character()
  body_types <- tryCatch(type_literals(body(method)), error = function(e) character())
  unique(c(from_default, body_types))
}
