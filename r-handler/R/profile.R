# A compact reference profile of the prototype's inputs, kept in model.json so that the
# app can compare what it scores with what the model was trained on (input drift): for a
# number, the deciles' cut points and the share of rows in each bin; for a factor, a
# character or a logical input, each value's share; for both, the share of missing values.
# Dates, date-times and durations are numbers here (days, seconds since the epoch, and the
# number in their units: time_number()).

PROFILE_BINS <- 10L

# Bins of x by the cut points: (-Inf, b1], (b1, b2], ..., (bk, Inf), as shares of the non-missing values.
bin_shares <- function(x, breaks) {
  x <- x[!is.na(x)]
  if (length(x) == 0L) return(rep(0, length(breaks) + 1L))
  counts <- tabulate(findInterval(x, breaks, left.open = TRUE) + 1L, nbins = length(breaks) + 1L)
  counts / length(x)
}

# One input's profile.
column_profile <- function(x) {
  null_share <- if (length(x) == 0L) 0 else mean(is.na(x))
  if (is_time_column(x)) x <- time_number(x)
  if (is.numeric(x)) {
    finite <- x[is.finite(x)]
    breaks <- if (length(finite) == 0L) numeric() else
      unique(unname(stats::quantile(finite, probs = seq_len(PROFILE_BINS - 1L) / PROFILE_BINS, type = 7, names = FALSE)))
    return(list(kind = "numeric", breaks = I(breaks), shares = I(bin_shares(x, breaks)), nullShare = null_share))
  }
  values <- as.character(x)
  counts <- table(values[!is.na(values)], useNA = "no")
  shares <- if (sum(counts) == 0L) list() else as.list(as.numeric(counts) / sum(counts))
  names(shares) <- names(counts)
  list(kind = "levels", shares = shares, nullShare = null_share)
}

# The profile of the features' columns in the prototype (NULL without a prototype).
reference_profile <- function(features, prototype) {
  if (is.null(prototype)) return(NULL)
  names <- intersect(vapply(features, `[[`, "", "name"), names(prototype))
  profiles <- lapply(names, function(n) column_profile(prototype[[n]]))
  names(profiles) <- names
  list(rows = nrow(prototype), bins = PROFILE_BINS, features = profiles)
}
