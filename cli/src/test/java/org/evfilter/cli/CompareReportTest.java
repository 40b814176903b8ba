package org.evfilter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CompareReportTest {
  @Test
  void theReportsMarkdownBecomesTablesHeadingsAndChartsInTheBrowser() {
    String md = String.join("\n", "# evfilter compare: <cat.evf>", "", "| outcome | events |", "|---|---|",
        "| **disagree** | **0** |", "| `a \\| b` | 3 |", "", "![per-syscall](per-syscall.svg) ([PNG](per-syscall.png))", "");
    String html = CompareReport.html(md);
    String body = html.substring(html.indexOf("<body>\n") + 7, html.indexOf("</body>"));
    assertEquals(String.join("\n", "<h1>evfilter compare: &lt;cat.evf&gt;</h1>", "<table>", "<thead>", "<tr>",
        "<th>outcome</th>", "<th>events</th>", "</tr>", "</thead>", "<tbody>", "<tr>", "<td><strong>disagree</strong></td>",
        "<td><strong>0</strong></td>", "</tr>", "<tr>", "<td><code>a | b</code></td>", "<td>3</td>", "</tr>", "</tbody>",
        "</table>", "<p><img src=\"per-syscall.svg\" alt=\"per-syscall\" /> (<a href=\"per-syscall.png\">PNG</a>)</p>", ""), body);
    assertTrue(html.startsWith("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"), html);
  }
}
