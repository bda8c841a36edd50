// The media vocabulary (codecs, directions, SRTP suites) is part of this
// module's API: whoever negotiates SDP speaks it.
@_exported import MediaTypes
