# The inputs a model was trained on, as far as the model itself records them: its formula
# (with `.` expanded against the prototype), or, for models fitted on a matrix, the names
# their family method reads (adapter_*.R). NULL when the model records none.

model_inputs <- function(model, prototype = NULL) UseMethod("model_inputs")

model_inputs.default <- function(model, prototype = NULL) {
  f <- model_formula(model)
  if (is.null(f)) return(NULL)
  response <- if (length(f) == 3L) all.vars(f[[2L]]) else character()
  rhs <- all.vars(f[[length(f)]])
  if ("." %in% rhs) {
    if (is.null(prototype)) return(NULL)
    return(unique(c(setdiff(rhs, "."), setdiff(names(prototype), response))))
  }
  # Names in a formula that are not columns (nls parameters, say) are not inputs.
  if (!is.null(prototype) && any(rhs %in% names(prototype))) rhs <- intersect(rhs, names(prototype))
  rhs
}

# The model's formula, from formula() or the call that fitted it; NULL when there is none.
model_formula <- function(model) {
  if (isS4(model)) {
    for (slot in c("formula", "terms")) {
      if (methods::.hasSlot(model, slot)) {
        f <- methods::slot(model, slot)
        if (is_formula(f)) return(f)
      }
    }
  }
  f <- tryCatch(stats::formula(model), error = function(e) NULL)
  if (is_formula(f)) return(f)
  call <- tryCatch(if (isS4(model)) NULL else stats::getCall(model), error = function(e) NULL)
  if (is.null(call)) return(NULL)
  for (arg in c("formula", "x", "fixed")) {
    candidate <- tryCatch(call[[arg]], error = function(e) NULL)
    if (is.call(candidate) && identical(candidate[[1L]], as.name("~"))) return(stats::as.formula(candidate))
  }
  first <- if (length(call) > 1L) call[[2L]] else NULL
  if (is.call(first) && identical(first[[1L]], as.name("~"))) return(stats::as.formula(first))
  NULL
}

# A formula as R writes one: formula.default classes whatever `terms` member a model has
# as "formula" (gss keeps a list there).
is_formula <- function(f) inherits(f, "formula") && is.call(f) && identical(f[[1L]], as.name("~"))

# The response columns named on a model's formula's left-hand side.
model_response <- function(model) {
  f <- model_formula(model)
  if (is.null(f) || length(f) != 3L) character() else all.vars(f[[2L]])
}

# A list member of an S3 model, without the class's own `$` or `[[` methods (a partykit
# tree indexes nodes with them); NULL for S4 objects, whose slots `$` cannot read.
model_member <- function(model, name) {
  if (isS4(model) || !is.list(model) || !(name %in% names(model))) return(NULL)
  .subset2(model, name)
}
