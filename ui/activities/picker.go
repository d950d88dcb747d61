package activities

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/common"
)

// ownerPicker chooses whose activities the list shows: me, everyone or one user. With a
// big team, stepping through users with o is slow; the picker shows them all.
type ownerPicker struct {
	values []string // store owner filter values
	labels []string
	pos    int
}

func (m *Model) openOwnerPicker() {
	p := &ownerPicker{values: []string{store.OwnerMe, store.OwnerAll}, labels: []string{"me", "everyone"}}
	for _, u := range m.users {
		if !u.IsMe {
			p.values = append(p.values, u.ID)
			p.labels = append(p.labels, cleanLine(u.Name))
		}
	}
	cur := m.filter.Owner
	if cur == "" || cur == m.meID {
		cur = store.OwnerMe
	}
	for i, v := range p.values {
		if v == cur {
			p.pos = i
		}
	}
	m.picker = p
}

func (m *Model) pickerKey(msg tea.KeyMsg) tea.Cmd {
	p, k := m.picker, m.keys
	switch {
	case key.Matches(msg, k.Up):
		p.pos = max(0, p.pos-1)
	case key.Matches(msg, k.Down):
		p.pos = min(len(p.values)-1, p.pos+1)
	case msg.Type == tea.KeyEnter || msg.String() == " ":
		m.picker = nil
		if m.filter.Owner == p.values[p.pos] {
			return nil
		}
		m.filter.Owner = p.values[p.pos]
		return m.filterChanged()
	case msg.Type == tea.KeyEsc || msg.String() == "O":
		m.picker = nil
	}
	return nil
}

// pickerView draws the owner choices in h lines, scrolled to keep the choice visible.
func (m *Model) pickerView(w, h int) string {
	st := m.ctx.Styles
	p := m.picker
	lines := []string{st.Title.Render("Show the activities of") + st.Muted.Render("   ↑/↓ choose · enter show · esc cancel")}
	rows := max(1, h-1)
	top := 0
	if p.pos >= rows {
		top = p.pos - rows + 1
	}
	for i := top; i < min(len(p.values), top+rows); i++ {
		label := p.labels[i]
		if i == p.pos {
			lines = append(lines, st.Selected.Render(common.Fit("▸ "+label, min(w, 40))))
		} else {
			lines = append(lines, "  "+st.Text.Render(common.Truncate(label, min(w, 40)-2)))
		}
	}
	return strings.Join(lines, "\n")
}
