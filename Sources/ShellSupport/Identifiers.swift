// Every shell makes identifiers; they come with the shells' support.
@_exported import Identifiers
