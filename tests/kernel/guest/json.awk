# Flattens one JSON document into "path<TAB>value" lines, for example
#   findings.0.id<TAB>driver-not-vfio     vm.hostpci.0.devices.1<TAB>0000:01:00.1
# Strings are unescaped (\n and \t become spaces); null, true, false and numbers are
# printed as written. Exits 1 on input that is not JSON.
BEGIN { RS = "\001" }
{ doc = doc $0 }
END {
    s = doc; n = length(s); i = 1; bad = 0
    value("")
    ws()
    if (bad || i <= n) exit 1
}
function ws() { while (i <= n && index(" \t\r\n", substr(s, i, 1))) i++ }
function str(   c, v, e) {
    if (substr(s, i, 1) != "\"") { bad = 1; return "" }
    i++; v = ""
    while (i <= n) {
        c = substr(s, i, 1)
        if (c == "\\") {
            e = substr(s, i + 1, 1); i += 2
            if (e == "n" || e == "t" || e == "r") v = v " "
            else if (e == "u") { v = v "\\u" substr(s, i, 4); i += 4 }
            else if (e == "b" || e == "f") v = v
            else v = v e
        } else if (c == "\"") { i++; return v }
        else { v = v c; i++ }
    }
    bad = 1; return v
}
function value(path,   c, k, idx, lit) {
    ws(); c = substr(s, i, 1)
    if (bad) return
    if (c == "{") {
        i++; ws()
        if (substr(s, i, 1) == "}") { i++; return }
        while (!bad) {
            ws(); k = str(); ws()
            if (substr(s, i, 1) != ":") { bad = 1; return }
            i++
            value(path == "" ? k : path "." k)
            ws(); c = substr(s, i, 1); i++
            if (c == "}") return
            if (c != ",") { bad = 1; return }
        }
    } else if (c == "[") {
        i++; ws(); idx = 0
        if (substr(s, i, 1) == "]") { i++; return }
        while (!bad) {
            value(path "." idx); idx++
            ws(); c = substr(s, i, 1); i++
            if (c == "]") return
            if (c != ",") { bad = 1; return }
        }
    } else if (c == "\"") {
        print path "\t" str()
    } else {
        lit = ""
        while (i <= n && index(" \t\r\n,]}", substr(s, i, 1)) == 0) { lit = lit substr(s, i, 1); i++ }
        if (lit == "") { bad = 1; return }
        print path "\t" lit
    }
}
