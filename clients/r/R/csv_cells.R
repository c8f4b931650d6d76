# The app guards the text cells of a results CSV against formula injection (OWASP's advice):
# a cell starting with =, +, -, @, a tab or a carriage return is written with a single
# quote in front, and so is one that starts with a single quote already, while numbers stay
# as they are. Removing one leading quote from every text cell that has one gives back
# what was scored.

# `cells` (a data frame of character columns, as read.csv gives with colClasses =
# "character") with that quote removed from each cell and column name.
unguard_csv_cells <- function(cells) {
  unguard <- function(x) {
    hit <- !is.na(x) & startsWith(x, "'")
    x[hit] <- substring(x[hit], 2L)
    x
  }
  cells[] <- lapply(cells, unguard)
  names(cells) <- unguard(names(cells))
  cells
}
